/**
 * Config drift: a VM's name, vCPUs and memory follow what its host reports for its domain
 * (changed outside Vireo with `virsh setmem/setvcpus/setmaxmem --config`, `domrename`), from the
 * full state and from each domain event. Also keeps every host's domain list (agent-registry.ts),
 * which create and placement read.
 *
 * Names are unique in Vireo. A rename outside Vireo to a name another Vireo VM already has cannot
 * be recorded: the row keeps its Vireo name (its vCPUs and memory still follow), and a warning
 * event names both, once per clash. The domain's real name is in the host's domain list, so
 * create refuses it as well. When the other VM gives the name up, the rename is applied.
 */
import { DbConflictError, events, hostDomains, type VmView, vms } from '@vireo/db';
import type { DomainEventMessage, DomainInfo } from '@vireo/protocol';
import type { AgentConnection } from './agent-connection.ts';
import { publishVm } from './views.ts';

/** uuid → the rename that clashed, to warn once and to retry once the name is free. */
const clashes = new Map<string, { conn: AgentConnection; domain: DomainInfo }>();

/** A host's full state: every domain of it that is a Vireo VM of this host. */
export async function applyHostFacts(conn: AgentConnection, domains: readonly DomainInfo[]): Promise<void> {
  await hostDomains.replaceForHost(conn.hostId, domains);
  const rows = new Map((await vms.list({ hostId: conn.hostId })).map((vm) => [vm.uuid, vm]));
  for (const domain of domains) {
    dropStaleClash(domain.uuid, domain);
    const vm = rows.get(domain.uuid);
    if (vm && differs(vm, domain)) await applyFacts(conn, vm, domain);
  }
}

/**
 * A domain event (the domain as read after it; null once undefined). `vm` is the VM's record
 * when the caller already read it (null: not a Vireo VM), saving a read per event. Returns
 * whether the record changed. The host's domain list is updated by the caller, for the whole
 * run of events at once (domain-events.ts).
 */
export async function applyEventFacts(
  conn: AgentConnection,
  msg: DomainEventMessage,
  vm?: VmView | null,
): Promise<boolean> {
  dropStaleClash(msg.uuid, msg.domain);
  if (!msg.domain) return false;
  const row = vm === undefined ? await vms.byUuid(msg.uuid) : vm;
  if (row?.hostId !== conn.hostId || !differs(row, msg.domain)) return false;
  await applyFacts(conn, row, msg.domain);
  return true;
}

/** A rename waiting for its name is forgotten once libvirt no longer has that name (or domain). */
function dropStaleClash(uuid: string, domain: DomainInfo | null): void {
  const waiting = clashes.get(uuid);
  if (waiting && waiting.domain.name !== domain?.name) clashes.delete(uuid);
}

function differs(vm: VmView, d: DomainInfo): boolean {
  return vm.name !== d.name || vm.vcpus !== d.vcpus || vm.memoryMiB !== d.memoryMiB;
}

async function applyFacts(conn: AgentConnection, vm: VmView, d: DomainInfo): Promise<void> {
  const facts = { name: d.name, vcpus: d.vcpus, memoryMiB: d.memoryMiB };
  let clashed = false;
  try {
    await vms.applyFacts(vm.uuid, facts);
    clashes.delete(vm.uuid);
  } catch (err) {
    if (!DbConflictError.is(err)) throw err;
    clashed = true;
    await vms.applyFacts(vm.uuid, { ...facts, name: vm.name });
    await warnClash(conn, vm, d);
  }
  const changes = [
    !clashed && vm.name !== d.name ? `name ${vm.name} → ${d.name}` : '',
    vm.vcpus !== d.vcpus ? `vCPUs ${vm.vcpus} → ${d.vcpus}` : '',
    vm.memoryMiB !== d.memoryMiB ? `memory ${vm.memoryMiB} → ${d.memoryMiB} MiB` : '',
  ].filter(Boolean);
  if (changes.length > 0) {
    await events.add({
      severity: 'info',
      kind: 'vm.changedOutside',
      message: `VM ${vm.name} on ${conn.hostName} was changed outside Vireo: ${changes.join(', ')}.`,
      vmId: vm.id,
      hostId: conn.hostId,
    });
  }
  await publishVm(vm.id);
  if (!clashed && vm.name !== d.name) await retryClashFor(vm.name);
}

async function warnClash(conn: AgentConnection, vm: VmView, d: DomainInfo): Promise<void> {
  const earlier = clashes.get(vm.uuid);
  clashes.set(vm.uuid, { conn, domain: d });
  if (earlier?.domain.name === d.name) return;
  const holder = await vms.byName(d.name);
  await events.add({
    severity: 'warning',
    kind: 'vm.nameClash',
    message:
      `VM ${vm.name} was renamed to "${d.name}" on ${conn.hostName} outside Vireo, but VM ${holder?.name ?? d.name} ` +
      `already has that name in Vireo. Vireo keeps calling it ${vm.name}; rename one of them with virsh to settle it.`,
    vmId: vm.id,
    hostId: conn.hostId,
  });
}

/**
 * A VM gave up `name` (renamed or deleted): a rename that clashed on it can now be applied.
 * Every waiting rename is tried; the first to take the name wins, the others keep waiting.
 */
export async function retryClashFor(name: string): Promise<void> {
  // Called after deletes: never fails the caller, whose work is already done.
  try {
    for (const [uuid, { conn, domain }] of [...clashes]) {
      if (domain.name !== name) continue;
      const vm = await vms.byUuid(uuid);
      if (!vm) {
        clashes.delete(uuid);
        continue;
      }
      if (vm.hostId === conn.hostId && differs(vm, domain)) await applyFacts(conn, vm, domain);
      if ((await vms.byName(name))?.uuid === uuid) return;
    }
  } catch (err) {
    console.error(`[facts] could not apply a waiting rename to "${name}":`, err);
  }
}
