/**
 * The load balancer's planner (issue 8): pure, over the placement snapshot, so a plan can be
 * previewed, tested and explained without touching a host.
 *
 * Metric: the spread of committed memory across the cluster's usable hosts (online, not in
 * maintenance), as the standard deviation of each host's committed fraction (memory promised to
 * domains / memory left for VMs), in percentage points. 0 = every host equally full.
 *
 * Moves are chosen greedily: at each step every running VM of the cluster is tried on every
 * other usable host, each candidate checked by the placement engine's own filters (so affinity,
 * maintenance and capacity rules are the engine's, not copies); the move that lowers the spread
 * most wins, if it lowers it by at least the threshold. Then the snapshot is updated as if the
 * move had happened and the next step starts, up to the cap.
 */
import { firstRefusal, freeMiBOf } from '../placement/filters.ts';
import type { HostSnapshot, PlacementSnapshot } from '../placement/types.ts';

/** A VM the balancer may move: running (live migration), in the cluster, Vireo's. */
export type MovableVm = {
  id: string;
  name: string;
  hostId: string;
  memoryMiB: number;
  vcpus: number;
  /** The affinity groups it is in (their rules come from the snapshot). */
  groupIds: readonly string[];
};

export type PlanInput = {
  clusterId: string;
  snapshot: PlacementSnapshot;
  vms: readonly MovableVm[];
  maxMoves: number;
  /** The least a move must lower the spread by (percentage points) to be proposed. */
  thresholdPoints: number;
};

export type HostLoad = {
  hostId: string;
  hostName: string;
  /** Memory left for VMs (total − host reserve). */
  capacityMiB: number;
  committedMiB: number;
  /** committed / capacity, in percent. */
  committedPercent: number;
  cpuUsagePercent: number;
};

export type PlannedMove = {
  vmId: string;
  vmName: string;
  memoryMiB: number;
  fromHostId: string;
  fromHostName: string;
  toHostId: string;
  toHostName: string;
  /** Spread before and after this move (percentage points), given the moves before it. */
  spreadBefore: number;
  spreadAfter: number;
  explanation: string;
};

export type BalancePlan = {
  clusterId: string;
  metric: string;
  /** Hosts taken into account (usable: online, not in maintenance), with their load now. */
  hosts: HostLoad[];
  /** Hosts left out, and why. */
  skippedHosts: { hostId: string; hostName: string; reason: string }[];
  spreadBefore: number;
  spreadAfter: number;
  moves: PlannedMove[];
  /** Why the plan stops where it does ("balanced", "cap reached", ...). */
  summary: string;
};

export const METRIC_DESCRIPTION =
  'spread of committed memory: the standard deviation, across usable hosts, of the share of each host’s memory (less its reserve) promised to VMs, in percentage points';

const round1 = (n: number) => Math.round(n * 10) / 10;

function capacityOf(h: HostSnapshot, reserveMiB: number): number {
  return Math.max(1, h.memoryMiB - reserveMiB);
}

function committedOf(h: HostSnapshot): number {
  return h.allocations.reduce((n, a) => n + a.memoryMiB, 0);
}

/** Standard deviation of the committed percentages. */
export function spread(loads: readonly { committedPercent: number }[]): number {
  if (loads.length < 2) return 0;
  const mean = loads.reduce((n, l) => n + l.committedPercent, 0) / loads.length;
  const variance = loads.reduce((n, l) => n + (l.committedPercent - mean) ** 2, 0) / loads.length;
  return Math.sqrt(variance);
}

function loadsOf(hosts: readonly HostSnapshot[], reserveMiB: number): HostLoad[] {
  return hosts.map((h) => {
    const capacityMiB = capacityOf(h, reserveMiB);
    const committedMiB = committedOf(h);
    return {
      hostId: h.id,
      hostName: h.name,
      capacityMiB,
      committedMiB,
      committedPercent: (committedMiB / capacityMiB) * 100,
      cpuUsagePercent: h.cpuUsagePercent,
    };
  });
}

/** The snapshot with one VM's allocation and group membership moved to another host. */
function withMove(s: PlacementSnapshot, vm: MovableVm, toHostId: string): PlacementSnapshot {
  const moving = s.hosts.find((h) => h.id === vm.hostId)?.allocations.find((a) => a.vmId === vm.id) ?? {
    vmId: vm.id,
    vmName: vm.name,
    memoryMiB: vm.memoryMiB,
  };
  return {
    ...s,
    hosts: s.hosts.map((h) => {
      if (h.id === vm.hostId) return { ...h, allocations: h.allocations.filter((a) => a.vmId !== vm.id) };
      if (h.id === toHostId) return { ...h, allocations: [...h.allocations, moving] };
      return h;
    }),
    groups: s.groups.map((g) => ({
      ...g,
      members: g.members.map((m) => (m.vmId === vm.id ? { ...m, hostId: toHostId } : m)),
    })),
  };
}

const pct = (n: number) => `${Math.round(n)} %`;

export function planBalance(input: PlanInput): BalancePlan {
  const inCluster = input.snapshot.hosts.filter((h) => h.clusterId === input.clusterId);
  const skippedHosts = inCluster
    .filter((h) => h.status !== 'online' || h.maintenance)
    .map((h) => ({
      hostId: h.id,
      hostName: h.name,
      reason: h.status !== 'online' ? `the host is ${h.status}` : 'the host is in maintenance mode',
    }));
  const usableIds = new Set(inCluster.filter((h) => h.status === 'online' && !h.maintenance).map((h) => h.id));
  const reserve = input.snapshot.reserveMiB;
  const usable = (s: PlacementSnapshot) => s.hosts.filter((h) => usableIds.has(h.id));
  const measure = (s: PlacementSnapshot) => spread(loadsOf(usable(s), reserve));

  let snap = input.snapshot;
  let vms = input.vms.filter((v) => usableIds.has(v.hostId));
  const startHosts = loadsOf(usable(snap), reserve);
  const spreadBefore = measure(snap);
  let current = spreadBefore;
  const moves: PlannedMove[] = [];
  const moved = new Set<string>();
  let summary = '';

  if (usableIds.size < 2) summary = 'fewer than two usable hosts: nothing to balance';
  while (!summary) {
    if (moves.length >= input.maxMoves) {
      summary = `stopped at the cap of ${input.maxMoves} move(s) per run`;
      break;
    }
    let best: { vm: MovableVm; to: HostSnapshot; after: number } | null = null;
    for (const vm of vms) {
      // A VM moves at most once per plan: moving it back and forth gains nothing real.
      if (moved.has(vm.id)) continue;
      const request = {
        memoryMiB: vm.memoryMiB,
        vmId: vm.id,
        clusterId: input.clusterId,
        excludeHostIds: [vm.hostId],
        groupIds: vm.groupIds,
      };
      const freeMiB = new Map(snap.hosts.map((h) => [h.id, freeMiBOf(h, reserve, vm.id)]));
      for (const to of usable(snap)) {
        if (to.id === vm.hostId) continue;
        if (firstRefusal(to, { request, snapshot: snap, freeMiB })) continue;
        const after = measure(withMove(snap, vm, to.id));
        if (!best || after < best.after - 1e-9) best = { vm, to, after };
      }
    }
    if (!best || current - best.after < input.thresholdPoints) {
      summary =
        moves.length === 0
          ? `balanced enough: no move lowers the spread (${round1(current)} pts) by ${input.thresholdPoints} pts or more`
          : `no further move lowers the spread by ${input.thresholdPoints} pts or more`;
      break;
    }
    const { vm, to, after } = best;
    const loads = new Map(loadsOf(usable(snap), reserve).map((l) => [l.hostId, l]));
    const from = loads.get(vm.hostId);
    const dest = loads.get(to.id);
    const fromName = from?.hostName ?? vm.hostId;
    moves.push({
      vmId: vm.id,
      vmName: vm.name,
      memoryMiB: vm.memoryMiB,
      fromHostId: vm.hostId,
      fromHostName: fromName,
      toHostId: to.id,
      toHostName: to.name,
      spreadBefore: round1(current),
      spreadAfter: round1(after),
      explanation:
        `move ${vm.name} (${vm.memoryMiB} MiB, ${vm.vcpus} vCPU) from ${fromName} (${pct(from?.committedPercent ?? 0)} committed) ` +
        `to ${to.name} (${pct(dest?.committedPercent ?? 0)}): spread ${round1(current)} → ${round1(after)} pts`,
    });
    moved.add(vm.id);
    snap = withMove(snap, vm, to.id);
    vms = vms.map((v) => (v.id === vm.id ? { ...v, hostId: to.id } : v));
    current = after;
  }

  return {
    clusterId: input.clusterId,
    metric: METRIC_DESCRIPTION,
    hosts: startHosts.map((l) => ({ ...l, committedPercent: round1(l.committedPercent) })),
    skippedHosts,
    spreadBefore: round1(spreadBefore),
    spreadAfter: round1(current),
    moves,
    summary,
  };
}
