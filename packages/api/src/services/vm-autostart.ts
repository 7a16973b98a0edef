/**
 * Autostart with the host: when a host's agent connects and reports VMs that libvirt has not run
 * since it (or the host) came up, the manager starts the host's autostart VMs one by one, lowest
 * order first, waiting each VM's delay before the next.
 *
 * Not libvirt's own autostart (virDomainSetAutostart): libvirtd would start those domains
 * whenever it starts, on whichever host has them defined, all at once, behind the manager's back,
 * without order or delay, without the VM's lock, and without a task anyone can see. The manager
 * owns placement, order and locks, so it starts them, through the agent like any other start.
 *
 * "Not run since libvirt came up" is libvirt's shut-off reason `unknown`: a domain stopped while
 * libvirtd runs has reason shutdown, destroyed or saved, so a VM an admin shut down or forced off
 * stays off when its agent merely reconnects (after a manager or agent restart). A freshly defined
 * domain also has reason `unknown`: a VM created stopped with autostart on starts at the next connect.
 */
import { events, vmAutostart, vms } from '@vireo/db';
import { type DomainInfo, VireoError } from '@vireo/protocol';
import { hostAgent } from './agent-router.ts';
import { startTask } from './tasks.ts';
import { lockVm } from './vm-locks.ts';
import type { VmRecord } from './vm-access.ts';
import { publishVm } from './views.ts';

export const MAX_AUTOSTART_DELAY_S = 600;

/** Hosts whose autostart run is under way: a reconnect meanwhile does not start a second run. */
const running = new Set<string>();

export function autostartSettings(vm: VmRecord) {
  return vmAutostart.ofVm(vm.id).then((a) => {
    if (!a) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
    return { autostart: a.autostart, order: a.order, delayS: a.delayS };
  });
}

export async function setAutostart(vm: VmRecord, s: vmAutostart.AutostartSettings) {
  await vmAutostart.set(vm.id, s);
  await events.add({
    severity: 'info',
    kind: 'vm.autostartSet',
    message: `VM ${vm.name}: autostart ${s.autostart ? `on (order ${s.order}, delay ${s.delayS} s)` : 'off'}.`,
    vmId: vm.id,
    hostId: vm.hostId,
  });
  await publishVm(vm.id);
  return autostartSettings(vm);
}

/** Called when a host's agent connects (not on a resync); never throws. */
export function autostartOnConnect(host: { id: string; name: string }, domains: readonly DomainInfo[]): void {
  if (running.has(host.id)) return;
  running.add(host.id);
  void run(host, domains)
    .catch((err) => console.error(`[autostart ${host.name}]`, err))
    .finally(() => running.delete(host.id));
}

async function run(host: { id: string; name: string }, domains: readonly DomainInfo[]): Promise<void> {
  const fresh = new Map(domains.map((d) => [d.uuid, d]));
  const due = (await vmAutostart.onHost(host.id)).filter((vm) => {
    const d = fresh.get(vm.uuid);
    return d?.state === 'shutoff' && (d.reason ?? 'unknown') === 'unknown';
  });
  for (const [i, vm] of due.entries()) {
    await startOne(host, vm);
    if (i < due.length - 1 && vm.delayS > 0) await sleep(vm.delayS * 1000);
  }
}

/** Starts one VM as a task owned by the VM's owner; resolves when that task has ended. */
async function startOne(host: { id: string; name: string }, vm: vmAutostart.AutostartVm): Promise<void> {
  let release: () => void;
  try {
    release = await lockVm(vm, 'autostart');
  } catch (err) {
    await note(vm, host, `not autostarted: ${err instanceof Error ? err.message : String(err)}`, 'warning');
    return;
  }
  await new Promise<void>((resolve) => {
    const ended = () => {
      release();
      resolve();
    };
    startTask(
      { kind: 'vm.start', vmId: vm.id, hostId: host.id, ownerId: vm.ownerId },
      async (progress) => {
        progress(10, 'Autostart with the host');
        const agent = await hostAgent(host.id, host.name);
        const { domain } = await agent.request('vm.start', { uuid: vm.uuid });
        await vms.updateState(vm.uuid, domain.state, domain.reason ?? null);
        await publishVm(vm.id);
        await note(vm, host, `autostarted (order ${vm.order})`, 'info');
        return 'Started with its host (autostart)';
      },
      ended,
    ).catch(async (err) => {
      await note(vm, host, `not autostarted: ${err instanceof Error ? err.message : String(err)}`, 'warning');
      ended();
    });
  });
}

async function note(
  vm: { id: string; name: string },
  host: { id: string; name: string },
  what: string,
  severity: 'info' | 'warning',
) {
  await events
    .add({
      severity,
      kind: 'vm.autostart',
      message: `VM ${vm.name} on ${host.name}: ${what}.`,
      vmId: vm.id,
      hostId: host.id,
    })
    .catch((err) => console.error('[autostart] could not record an event:', err));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
