/**
 * High availability (issue 9): what agents report in their `ha` messages (every heartbeat
 * interval) becomes "last seen" times on the manager's clock (durations on the agent's clock, so
 * clocks need not agree): a peer's heartbeat file changed `unchangedForMs` ago, the reporter's own
 * last write succeeded `lastWriteOkAgoMs` ago. Writes only move those times forward, so every
 * manager may apply every report.
 */
import { events, haSignals, vms } from '@vireo/db';
import type { HaMessage } from '@vireo/protocol';
import { publishVm } from '../views.ts';

export async function applyHaMessage(
  reporter: { id: string; name: string },
  msg: HaMessage,
  nowMs: number = Date.now(),
): Promise<void> {
  await haSignals.recordHeartbeats({
    reporterHostId: reporter.id,
    ownOkAt: msg.own.lastWriteOkAgoMs === null ? null : new Date(nowMs - msg.own.lastWriteOkAgoMs),
    peers: msg.peers.map((p) => ({ hostUuid: p.hostUuid, seenAt: new Date(nowMs - p.unchangedForMs) })),
  });
  if (msg.own.selfFenced.length > 0) await recordSelfFenced(reporter, msg.own.selfFenced, msg.own.error);
}

/** The VMs' states follow from their domain events; this records why they stopped. */
async function recordSelfFenced(reporter: { id: string; name: string }, uuids: string[], error?: string) {
  const stopped = await vms.byUuids(uuids);
  const why = error ? ` (heartbeat write error: ${error})` : '';
  await events.addMany(
    stopped.map((vm) => ({
      severity: 'warning' as const,
      kind: 'ha.self-fenced',
      message: error
        ? `Host ${reporter.name} lost its storage heartbeat and forced off HA VM ${vm.name} itself (self-fencing)${why}.`
        : `Host ${reporter.name} stopped HA VM ${vm.name} itself (self-fencing: its storage heartbeat failed, or its watchdog found its agent gone past the self-fence time).`,
      vmId: vm.id,
      hostId: reporter.id,
    })),
  );
  for (const vm of stopped) await publishVm(vm.id);
}
