// High availability (issue 9): the signals agents report (storage heartbeats) and the monitor's
// shared state (its per-cluster lease, each host's HA state, restarts' compare-and-set moves).
// Every write here is safe from any manager: heartbeats only move forward (max), the lease and
// the moves are compare-and-set.
import { getDb } from './client.ts';

/** A peer saw the heartbeat of the host with libvirt uuid `hostUuid` change at `seenAt` (manager clock). */
export type HeartbeatSeen = { hostUuid: string; seenAt: Date };

/**
 * Records what one agent's `ha` message says, in one transaction: each peer's heartbeatSeenAt
 * moves forward only (a later, older report never pulls it back); the reporter's own write time.
 */
export async function recordHeartbeats(input: {
  reporterHostId: string;
  ownOkAt: Date | null;
  peers: readonly HeartbeatSeen[];
}): Promise<void> {
  const db = getDb();
  const writes = input.peers.map((p) =>
    db.host.updateMany({
      where: {
        libvirtHostUuid: p.hostUuid,
        id: { not: input.reporterHostId },
        OR: [{ heartbeatSeenAt: null }, { heartbeatSeenAt: { lt: p.seenAt } }],
      },
      data: { heartbeatSeenAt: p.seenAt },
    }),
  );
  if (input.ownOkAt) {
    writes.push(
      db.host.updateMany({
        where: {
          id: input.reporterHostId,
          OR: [{ heartbeatOwnOkAt: null }, { heartbeatOwnOkAt: { lt: input.ownOkAt } }],
        },
        data: { heartbeatOwnOkAt: input.ownOkAt },
      }),
    );
  }
  if (writes.length > 0) await db.$transaction(writes);
}

/** Host ids by libvirt uuid (hosts not known are left out). */
export async function hostsByUuid(uuids: readonly string[]): Promise<Map<string, { id: string; name: string }>> {
  if (uuids.length === 0) return new Map();
  const rows = await getDb().host.findMany({
    where: { libvirtHostUuid: { in: [...uuids] } },
    select: { id: true, name: true, libvirtHostUuid: true },
  });
  return new Map(rows.map((r) => [r.libvirtHostUuid ?? '', { id: r.id, name: r.name }]));
}

/** Clusters the monitor watches: any HA VM on their hosts, or any host whose HA state is not 'ok'. */
export async function clustersToWatch(): Promise<string[]> {
  const rows = await getDb().cluster.findMany({
    where: {
      hosts: { some: { OR: [{ haState: { not: 'ok' } }, { vms: { some: { haEnabled: true } } }] } },
    },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/**
 * Takes or renews the cluster's monitor lease: free, expired (`validMs`), or already this
 * manager's. One conditional update, so two managers never both hold it.
 */
export async function claimMonitor(clusterId: string, managerId: string, now: Date, validMs: number): Promise<boolean> {
  const r = await getDb().cluster.updateMany({
    where: {
      id: clusterId,
      OR: [
        { haMonitorBy: null },
        { haMonitorBy: managerId },
        { haMonitorAt: null },
        { haMonitorAt: { lt: new Date(now.getTime() - validMs) } },
      ],
    },
    data: { haMonitorBy: managerId, haMonitorAt: now },
  });
  return r.count === 1;
}

/** A manager stopping gives its leases up, so another takes over without waiting for expiry. */
export async function releaseMonitors(managerId: string): Promise<void> {
  await getDb().cluster.updateMany({ where: { haMonitorBy: managerId }, data: { haMonitorBy: null } });
}

export type HaHostRow = {
  id: string;
  name: string;
  clusterId: string;
  haState: string;
  haNote: string | null;
  haStateAt: Date | null;
  fenceAgent: string;
  fenceOptions: string;
};

export async function hostForHa(hostId: string): Promise<HaHostRow | null> {
  return getDb().host.findUnique({
    where: { id: hostId },
    select: {
      id: true,
      name: true,
      clusterId: true,
      haState: true,
      haNote: true,
      haStateAt: true,
      fenceAgent: true,
      fenceOptions: true,
    },
  });
}

/**
 * Sets a host's HA state. With `from`, only if it is still that state (a compare-and-set: two
 * managers, or a late fence result after an admin reset, cannot overwrite a newer state).
 * True if it changed the row.
 */
export async function setHostState(
  hostId: string,
  state: string,
  note: string | null,
  at: Date,
  from?: string,
): Promise<boolean> {
  const r = await getDb().host.updateMany({
    where: { id: hostId, ...(from === undefined ? {} : { haState: from }) },
    data: { haState: state, haNote: note, haStateAt: at },
  });
  return r.count === 1;
}

/**
 * Moves a VM's record to the host it is restarted on, only if it is still on `fromHostId`
 * (it may have moved meanwhile: another manager, a migration, an admin). True if it moved.
 */
export async function moveForRestart(input: {
  vmId: string;
  fromHostId: string;
  toHostId: string;
  reason: string;
}): Promise<boolean> {
  const r = await getDb().vm.updateMany({
    where: { id: input.vmId, hostId: input.fromHostId },
    // stateChangedAt: the HA step tells a restart under way from one a dead manager left by it.
    data: { hostId: input.toHostId, stateReason: input.reason, stateChangedAt: new Date() },
  });
  return r.count === 1;
}

/** Puts a VM's record back on its old host after a failed restart (only if still on `toHostId`). */
export async function moveBack(input: { vmId: string; fromHostId: string; toHostId: string; reason: string }) {
  const r = await getDb().vm.updateMany({
    where: { id: input.vmId, hostId: input.toHostId },
    data: { hostId: input.fromHostId, stateReason: input.reason },
  });
  return r.count === 1;
}

/** What `ha.configure` tells each host of a cluster: its timings and the cluster's HA VMs. */
export type HaClusterConfig = {
  clusterId: string;
  heartbeatIntervalS: number;
  selfFenceAfterS: number;
  haVmUuids: string[];
  hosts: { id: string; name: string }[];
};

export async function configOfCluster(clusterId: string): Promise<HaClusterConfig | null> {
  const c = await getDb().cluster.findUnique({
    where: { id: clusterId },
    select: {
      id: true,
      haHeartbeatIntervalS: true,
      haSelfFenceAfterS: true,
      hosts: { select: { id: true, name: true }, orderBy: { name: 'asc' } },
    },
  });
  if (!c) return null;
  const vms = await getDb().vm.findMany({
    where: { haEnabled: true, host: { clusterId } },
    select: { uuid: true },
    orderBy: { uuid: 'asc' },
  });
  return {
    clusterId: c.id,
    heartbeatIntervalS: c.haHeartbeatIntervalS,
    selfFenceAfterS: c.haSelfFenceAfterS,
    haVmUuids: vms.map((v) => v.uuid),
    hosts: c.hosts,
  };
}

export async function clusterOfHost(hostId: string): Promise<string | null> {
  const h = await getDb().host.findUnique({ where: { id: hostId }, select: { clusterId: true } });
  return h?.clusterId ?? null;
}

/** The rule HA alerts are filed under (alerts need a rule): built in, never evaluated (disabled). */
export const HA_ALERT_RULE_ID = 'vireo-ha';

export async function ensureAlertRule(): Promise<void> {
  await getDb().alertRule.upsert({
    where: { id: HA_ALERT_RULE_ID },
    create: {
      id: HA_ALERT_RULE_ID,
      name: 'High availability (built in)',
      scope: 'hosts',
      scopeId: null,
      metric: 'hostOffline',
      threshold: 0,
      forSeconds: 0,
      enabled: false,
    },
    update: {},
    select: { id: true },
  });
}
