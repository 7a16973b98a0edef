/**
 * Lifecycle events from an agent (`domain` messages), applied to the inventory in bulk: a run of
 * consecutive events from one host costs a handful of queries, not four per event. At rest a
 * run is one event; when events come faster than they are applied (an event storm: every VM of
 * 100 hosts changing within a minute), the runs grow by themselves and the cost per event falls,
 * so the backlog cannot build up the way it did one query at a time (docs/benchmarks.md, Scale).
 *
 * Per event the rules are those of a single event: only the VM's own host speaks for it (another
 * host's report is at most a conflict), a `checked` report does not touch a VM a task works on,
 * a create or delete in progress sets the state from its own result, and an undefined domain
 * settles an interrupted create or delete.
 */
import { type EventInput, events, hostDomains, type VmState, type VmView, vmMigrations, vms } from '@vireo/db';
import type { DomainEventMessage } from '@vireo/protocol';
import type { AgentConnection } from './agent-connection.ts';
import { domainCpu } from './agent-registry.ts';
import { publish } from './bus.ts';
import { applyEventFacts } from './domain-facts.ts';
import { toVmView } from './views.ts';
import { recordStarts, reportedStart } from './vm-uptime.ts';
import { isVmLocked } from './vm-locks.ts';
import { noteClaim, settleUndefined } from './vm-reconcile.ts';

/** Applies the events in order; writes and publishes once for the whole run. */
export async function applyDomainEvents(conn: AgentConnection, msgs: readonly DomainEventMessage[]): Promise<void> {
  const host = { id: conn.hostId, name: conn.hostName };
  // The host's domain list first (as each event did before), for the whole run in one write.
  await hostDomains.setMany(
    conn.hostId,
    msgs.map((m) => ({ uuid: m.uuid, domain: m.domain })),
  );
  const rows = new Map((await vms.byUuids([...new Set(msgs.map((m) => m.uuid))])).map((vm) => [vm.uuid, vm]));
  /** uuid → the state its last event in the run reports (later events win). */
  const states = new Map<string, { state: VmState; reason: string | null }>();
  const toRecord: EventInput[] = [];
  const toPublish = new Set<string>();
  /** uuid → its last report in the run, for the QEMU start time. */
  const starts = new Map<string, DomainEventMessage['domain']>();

  for (const msg of msgs) {
    let vm: VmView | null = rows.get(msg.uuid) ?? null;
    // Facts (name, vCPUs, memory) rarely change; when they do, the row is read again.
    if (await applyEventFacts(conn, msg, vm)) {
      vm = await vms.byUuid(msg.uuid);
      if (vm) rows.set(vm.uuid, vm);
    }
    if (!vm) continue; // not a Vireo VM
    if (vm.hostId !== conn.hostId) {
      if (msg.event !== 'checked') await noteClaim(host, msg.uuid, msg.domain);
      continue;
    }
    starts.set(vm.uuid, msg.domain);
    // A `checked` report after a request ended is for a VM nobody works on; a task of ours sets
    // the state from its own result.
    if (msg.event === 'checked' && (await isVmLocked(vm.id))) continue;
    // The source's domain stopping and going away as a migration ends: the migration's task sets
    // the state (and moves the VM) itself.
    const migrating = msg.domain === null || /migrat/.test(msg.domain.reason ?? '');
    if (migrating && (await vmMigrations.destinationOf(vm.id))) continue;
    // While a create or delete runs, its task sets the state from the result (events are still recorded).
    const taskOwnsState = vm.state === 'creating' || vm.state === 'deleting';
    if (msg.domain === null) {
      if (await settleUndefined(vm, host)) {
        // Its record is gone: earlier events of this run keep their rows, without the VM (as
        // rows written before a delete do).
        const gone = vm.id;
        states.delete(vm.uuid);
        toPublish.delete(gone);
        for (const e of toRecord) if (e.vmId === gone) e.vmId = null;
        continue;
      }
      if (!taskOwnsState) states.set(vm.uuid, { state: 'unknown', reason: 'undefined outside Vireo' });
    } else {
      if (!taskOwnsState) states.set(vm.uuid, { state: msg.domain.state, reason: msg.domain.reason ?? null });
      if (msg.domain.state !== 'running') domainCpu.delete(vm.uuid);
    }
    // `checked` is the agent re-reading a domain after a failed request, not a libvirt event.
    if (msg.event !== 'checked') {
      const state = msg.domain?.state ?? 'unknown';
      toRecord.push({
        severity: state === 'crashed' ? 'error' : 'info',
        kind: `vm.${msg.event}`,
        message: `VM ${vm.name} on ${conn.hostName}: ${msg.event}${msg.domain?.reason ? ` (${msg.domain.reason})` : ''}.`,
        vmId: vm.id,
        hostId: conn.hostId,
      });
    }
    toPublish.add(vm.id);
  }

  // One statement per reported (state, reason).
  const groups = new Map<string, { state: VmState; reason: string | null; uuids: string[] }>();
  for (const [uuid, s] of states) {
    const key = `${s.state}\u0000${s.reason ?? ''}`;
    const group = groups.get(key) ?? { ...s, uuids: [] };
    group.uuids.push(uuid);
    groups.set(key, group);
  }
  // Guarded by host: the rows were read at the start of the run, and a migration finishing
  // meanwhile moves a VM whose source then reports it stopped and gone.
  for (const g of groups.values()) await vms.setStates(g.uuids, g.state, g.reason, conn.hostId);
  // Only the start times that differ from the rows: most events do not change one.
  const changedStarts = [...starts].filter(([uuid, domain]) => {
    const row = rows.get(uuid);
    const start = reportedStart(domain);
    return row && start !== undefined && (start?.getTime() ?? null) !== (row.startedAt?.getTime() ?? null);
  });
  await recordStarts(
    changedStarts.map(([uuid, domain]) => ({ uuid, domain })),
    conn.hostId,
  );
  await events.addMany(toRecord);
  for (const vm of await vms.byIds([...toPublish])) publish({ kind: 'vm', vm: toVmView(vm) });
}
