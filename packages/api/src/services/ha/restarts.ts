/**
 * The restart half of the HA step: which HA VMs go where, in priority order, with their
 * dependencies, through the placement engine (same filters and weights as every other
 * placement). Capacity taken by an earlier restart of the same step counts for the later ones.
 */
import { decide, explain } from '../placement/engine.ts';
import type { PlacementSnapshot } from '../placement/types.ts';
import {
  HA_RESTARTING_REASON,
  type HaAction,
  type HaHostState,
  type HaSnapshot,
  type HaVm,
  RESTART_INTERRUPTED_AFTER_MS,
  SELF_FENCE_MATCH_MS,
} from './types.ts';

/** States a VM was in before its host failed that mean "it should be running". */
const DOWN_STATES = new Set(['shutoff', 'creating', 'deleting']);

type Outcome = 'placed' | 'failed' | 'waiting';

function byPriority(a: HaVm, b: HaVm): number {
  return b.haPriority - a.haPriority || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

/** A working copy: restarts decided in this step add their memory and group membership. */
function copyPlacement(p: PlacementSnapshot): PlacementSnapshot {
  return {
    ...p,
    hosts: p.hosts.map((h) => ({ ...h, allocations: [...h.allocations] })),
    groups: p.groups.map((g) => ({ ...g, members: g.members.map((m) => ({ ...m })) })),
  };
}

export function planRestarts(
  snapshot: HaSnapshot,
  states: ReadonlyMap<string, HaHostState>,
  restartFrom: ReadonlySet<string>,
): HaAction[] {
  const actions: HaAction[] = [];
  const hostById = new Map(snapshot.hosts.map((h) => [h.id, h]));
  const healthy = (hostId: string | null) => {
    const h = hostId ? hostById.get(hostId) : undefined;
    return !!h && h.connected && states.get(h.id) === 'ok';
  };
  const vmById = new Map(snapshot.vms.map((v) => [v.id, v]));

  // Restarts a manager began and did not finish: the record is on the target, no domain there,
  // for longer than a start takes.
  const restarting = snapshot.vms.filter(
    (v) => v.haEnabled && v.stateReason === HA_RESTARTING_REASON && !v.domainOnHost && healthy(v.hostId),
  );
  const interrupted = restarting
    .filter((v) => v.stateChangedAtMs == null || snapshot.nowMs - v.stateChangedAtMs >= RESTART_INTERRUPTED_AFTER_MS)
    .sort(byPriority);
  for (const vm of interrupted) {
    const hostId = vm.hostId as string;
    actions.push({
      kind: 'restart',
      vmId: vm.id,
      fromHostId: hostId,
      toHostId: hostId,
      why: `its restart on ${hostById.get(hostId)?.name ?? hostId} was interrupted: started again there`,
    });
  }
  const restartingIds = new Set(restarting.map((v) => v.id));

  // A host that lost only its storage (its agent still here) forced its HA VMs off itself: they
  // are restarted too, on another host (their own cannot reach their disks' storage).
  const selfFenced = new Set(
    snapshot.vms
      .filter(
        (v) =>
          v.haEnabled &&
          v.state === 'shutoff' &&
          v.selfFencedAtMs != null &&
          (v.stateChangedAtMs ?? 0) <= v.selfFencedAtMs + SELF_FENCE_MATCH_MS &&
          healthy(v.hostId) &&
          !restartFrom.has(v.hostId as string),
      )
      .map((v) => v.id),
  );
  const candidates = snapshot.vms
    .filter(
      (v) =>
        v.haEnabled &&
        v.hostId !== null &&
        ((restartFrom.has(v.hostId) && !DOWN_STATES.has(v.state)) || selfFenced.has(v.id)),
    )
    .sort(byPriority);
  const candidateIds = new Set(candidates.map((v) => v.id));

  const placement = copyPlacement(snapshot.placement);
  const exclude = snapshot.hosts.filter((h) => !healthy(h.id) || h.maintenance).map((h) => h.id);
  const outcome = new Map<string, Outcome | 'resolving'>();

  const place = (vm: HaVm, note: string | null): Outcome => {
    const own = selfFenced.has(vm.id) ? [vm.hostId as string] : [];
    const decision = decide(
      placement,
      {
        memoryMiB: vm.memoryMiB,
        vmId: vm.id,
        clusterId: snapshot.clusterId,
        excludeHostIds: [...exclude, ...own],
        groupIds: vm.groupIds,
      },
      new Date(snapshot.nowMs),
    );
    const from = vm.hostId as string;
    if (!decision.chosen) {
      actions.push({
        kind: 'not-restarted',
        vmId: vm.id,
        hostId: from,
        reason: `no host can take it: ${explain(decision)}`,
      });
      return 'failed';
    }
    const to = decision.chosen;
    const verdict = decision.hosts[0];
    const scoreNote = verdict?.score
      ? `score ${verdict.score.total}${verdict.score.parts.length ? ` (${verdict.score.parts.map((p) => p.note).join('; ')})` : ''}`
      : '';
    const target = placement.hosts.find((h) => h.id === to.hostId);
    target?.allocations.push({ vmId: vm.id, vmName: vm.name, memoryMiB: vm.memoryMiB });
    for (const g of placement.groups) for (const m of g.members) if (m.vmId === vm.id) m.hostId = to.hostId;
    const why = [
      selfFenced.has(vm.id)
        ? `${hostById.get(from)?.name ?? from} lost its storage heartbeat and stopped it (self-fencing)`
        : null,
      `best host by placement: ${to.hostName}${scoreNote ? `, ${scoreNote}` : ''}`,
      note,
    ]
      .filter(Boolean)
      .join('; ');
    actions.push({ kind: 'restart', vmId: vm.id, fromHostId: from, toHostId: to.hostId, why });
    return 'placed';
  };

  const resolve = (vm: HaVm): Outcome => {
    const known = outcome.get(vm.id);
    if (known === 'resolving') return 'waiting';
    if (known) return known;
    outcome.set(vm.id, 'resolving');
    let result: Outcome;
    const dep = vm.haDependsOnId ? vmById.get(vm.haDependsOnId) : undefined;
    if (!vm.haDependsOnId) result = place(vm, null);
    else if (!dep) result = place(vm, 'the VM it depends on no longer exists');
    else if (!dep.haEnabled) result = place(vm, `it depends on ${dep.name}, which is not HA`);
    else if (dep.state === 'running' && dep.domainOnHost && healthy(dep.hostId) && !restartingIds.has(dep.id))
      result = place(vm, `after ${dep.name}, which runs`);
    else if (candidateIds.has(dep.id)) {
      const depOutcome = resolve(dep);
      result = depOutcome === 'failed' ? place(vm, `${dep.name}, which it depends on, cannot be restarted`) : 'waiting';
    } else if (DOWN_STATES.has(dep.state) && !restartingIds.has(dep.id))
      result = place(vm, `${dep.name}, which it depends on, is ${dep.state}`);
    else result = 'waiting';
    outcome.set(vm.id, result);
    return result;
  };

  for (const vm of candidates) resolve(vm);
  return actions;
}
