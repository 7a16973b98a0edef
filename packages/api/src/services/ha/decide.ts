/**
 * The HA decision step (issue 9): pure, over a snapshot and its clock (types.ts). Hosts first
 * (host-rules.ts: detection, fencing, the self-fence wait), then the restarts of the HA VMs of
 * hosts that are safe to take them from (restarts.ts: placement, priorities, dependencies).
 */
import { hostStep, selfFencedAtMs } from './host-rules.ts';
import { planRestarts } from './restarts.ts';
import type { HaAction, HaHostState, HaSnapshot, HaStepResult, HaWhatIf } from './types.ts';

/** One step of the HA state machine for one cluster: the actions to carry out now. */
export function haStep(snapshot: HaSnapshot): HaStepResult {
  const actions: HaAction[] = [];
  const states = new Map<string, HaHostState>();
  const restartFrom = new Set<string>();
  const hosts = snapshot.hosts
    .filter((h) => h.clusterId === snapshot.clusterId)
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  for (const host of hosts) {
    const out = hostStep(host, snapshot.config, snapshot.nowMs);
    actions.push(...out.actions);
    states.set(host.id, out.state);
    if (out.restartVms) restartFrom.add(host.id);
  }
  actions.push(...planRestarts(snapshot, states, restartFrom));
  return { actions };
}

/** Most steps a what-if plays out (dependencies restart one level per step). */
const WHAT_IF_STEPS = 20;

/**
 * "What if this host fails now?": the same step run on a copy of the snapshot where it died
 * (agent gone, heartbeat stale, and fenced, or past its self-fence wait when it has no fence
 * device), played out until nothing more happens, so VMs waiting for a dependency show too.
 */
export function whatIfHostFails(snapshot: HaSnapshot, hostId: string): HaWhatIf {
  const host = snapshot.hosts.find((h) => h.id === hostId);
  const hostName = host?.name ?? hostId;
  const onHost = snapshot.vms.filter((v) => v.hostId === hostId);
  const result: HaWhatIf = {
    hostId,
    hostName,
    restarts: [],
    notRestarted: [],
    notProtected: onHost
      .filter((v) => !v.haEnabled && v.state !== 'shutoff')
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((v) => ({ vmId: v.id, vmName: v.name })),
  };
  if (!host) return result;

  const { config, nowMs } = snapshot;
  const longAgo = nowMs - config.hostDownAfterMs - config.heartbeatStaleAfterMs - config.selfFenceAfterMs - 1;
  const dead = { ...host, connected: false, lastSeenAtMs: longAgo, heartbeatSeenAtMs: longAgo };
  const fenceState: HaHostState = host.fenceConfigured ? 'fenced' : 'self-fence-wait';
  const wait = (selfFencedAtMs(dead, config) ?? nowMs) - longAgo;
  result.recovery = host.fenceConfigured
    ? `${hostName} would be fenced through its fence device first, then its HA VMs restarted.`
    : `${hostName} has no fence device: its HA VMs would restart once it must have stopped them itself (${Math.round(wait / 1000)} s after its storage heartbeat stops, or its agent is gone: its watchdog stops them); the disk locks keep any it still holds from starting twice.`;

  let current: HaSnapshot = {
    ...snapshot,
    hosts: snapshot.hosts.map((h) => (h.id === hostId ? { ...dead, haState: fenceState, haStateAtMs: nowMs } : h)),
    vms: snapshot.vms.map((v) => ({ ...v, groupIds: [...v.groupIds] })),
    placement: {
      ...snapshot.placement,
      hosts: snapshot.placement.hosts.map((h) => (h.id === hostId ? { ...h, status: 'offline' } : h)),
    },
  };
  const mine = new Set(onHost.map((v) => v.id));
  const done = new Set<string>();
  const vmName = (id: string) => snapshot.vms.find((v) => v.id === id)?.name ?? id;
  const hostNameOf = (id: string) => snapshot.hosts.find((h) => h.id === id)?.name ?? id;
  for (let i = 0; i < WHAT_IF_STEPS; i++) {
    const restarts = haStep(current).actions.filter(
      (a): a is Extract<HaAction, { kind: 'restart' | 'not-restarted' }> =>
        (a.kind === 'restart' || a.kind === 'not-restarted') && mine.has(a.vmId) && !done.has(a.vmId),
    );
    if (restarts.length === 0) break;
    const moved = new Map<string, string>();
    for (const a of restarts) {
      done.add(a.vmId);
      if (a.kind === 'not-restarted') {
        result.notRestarted.push({ vmId: a.vmId, vmName: vmName(a.vmId), reason: a.reason });
        continue;
      }
      moved.set(a.vmId, a.toHostId);
      result.restarts.push({
        vmId: a.vmId,
        vmName: vmName(a.vmId),
        toHostId: a.toHostId,
        toHostName: hostNameOf(a.toHostId),
        why: a.why,
      });
    }
    // Play the restarts out: the VMs run on their targets, their memory counts there.
    current = {
      ...current,
      vms: current.vms.map((v) => {
        const to = moved.get(v.id);
        return to ? { ...v, hostId: to, state: 'running', stateReason: null, domainOnHost: true } : v;
      }),
      placement: {
        ...current.placement,
        hosts: current.placement.hosts.map((h) => ({
          ...h,
          allocations: [
            ...h.allocations.filter((a) => !(a.vmId && moved.has(a.vmId))),
            ...current.vms
              .filter((v) => moved.get(v.id) === h.id)
              .map((v) => ({ vmId: v.id, vmName: v.name, memoryMiB: v.memoryMiB })),
          ],
        })),
        groups: current.placement.groups.map((g) => ({
          ...g,
          members: g.members.map((m) => ({ ...m, hostId: moved.get(m.vmId) ?? m.hostId })),
        })),
      },
    };
  }
  for (const v of onHost) {
    if (v.haEnabled && v.state === 'shutoff')
      result.notRestarted.push({ vmId: v.id, vmName: v.name, reason: 'it is shut off' });
    else if (v.haEnabled && !done.has(v.id))
      result.notRestarted.push({ vmId: v.id, vmName: v.name, reason: 'it waits for a VM it depends on' });
  }
  return result;
}
