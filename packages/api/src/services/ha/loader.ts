/**
 * Reads a cluster's HA snapshot from the database (types.ts): shared state only, so any manager
 * decides the same way, and one that takes over mid-recovery goes on from where the last stopped.
 *
 * A host is connected when it is online and the manager holding its lease is alive (its heartbeat
 * fresh): an online row held by a dead manager is an agent nobody hears. A peer "reports" when it
 * is connected and its own heartbeat writes succeeded within two heartbeat intervals: only such
 * peers can tell whether a silent host's heartbeat still changes.
 */
import { ha } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { MANAGER_STALE_MS } from '../cluster.ts';
import { loadSnapshot } from '../placement/loader.ts';
import { HA_HOST_STATES, type HaHost, type HaHostState, type HaSnapshot } from './types.ts';

const ms = (d: Date | null) => (d ? d.getTime() : null);

function haStateOf(value: string): HaHostState {
  return (HA_HOST_STATES as readonly string[]).includes(value) ? (value as HaHostState) : 'ok';
}

export async function loadHaSnapshot(clusterId: string, nowMs: number = Date.now()): Promise<HaSnapshot> {
  const cluster = await ha.clusterConfig(clusterId);
  if (!cluster) throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
  const config = {
    hostDownAfterMs: cluster.hostDownAfterS * 1000,
    heartbeatStaleAfterMs: cluster.heartbeatStaleAfterS * 1000,
    heartbeatIntervalMs: cluster.heartbeatIntervalS * 1000,
    selfFenceAfterMs: cluster.selfFenceAfterS * 1000,
    reserveHostFailures: cluster.reserveHostFailures,
    admission: cluster.admission === 'refuse' ? ('refuse' as const) : ('warn' as const),
  };
  const rows = await ha.hostsOf(clusterId);
  const connected = new Map(
    rows.map((h) => [
      h.id,
      h.status === 'online' &&
        h.managerId !== null &&
        h.managerHeartbeatAt !== null &&
        nowMs - h.managerHeartbeatAt.getTime() <= MANAGER_STALE_MS,
    ]),
  );
  const reading = rows.filter(
    (h) =>
      connected.get(h.id) &&
      h.heartbeatOwnOkAt !== null &&
      nowMs - h.heartbeatOwnOkAt.getTime() <= 2 * config.heartbeatIntervalMs,
  );
  const hosts: HaHost[] = rows.map((h) => ({
    id: h.id,
    name: h.name,
    clusterId: h.clusterId,
    connected: connected.get(h.id) ?? false,
    lastSeenAtMs: ms(h.lastSeenAt),
    heartbeatSeenAtMs: ms(h.heartbeatSeenAt),
    peersReporting: reading.filter((p) => p.id !== h.id).length,
    fenceConfigured: h.fenceAgent.trim() !== '',
    maintenance: h.maintenance !== 'none',
    haState: haStateOf(h.haState),
    haStateAtMs: ms(h.haStateAt),
    haNote: h.haNote,
  }));
  const vms = (await ha.vmsOf(clusterId)).map((v) => ({
    id: v.id,
    name: v.name,
    hostId: v.hostId,
    state: v.state,
    stateReason: v.stateReason,
    memoryMiB: v.memoryMiB,
    haEnabled: v.haEnabled,
    haPriority: v.haPriority,
    haDependsOnId: v.haDependsOnId,
    groupIds: v.groupIds,
    domainOnHost: v.domainOnHost,
    stateChangedAtMs: v.stateChangedAt.getTime(),
    selfFencedAtMs: ms(v.selfFencedAt),
  }));
  const placement = await loadSnapshot();
  return {
    nowMs,
    clusterId,
    config,
    hosts,
    vms,
    placement: { ...placement, hosts: placement.hosts.filter((h) => h.clusterId === clusterId) },
  };
}
