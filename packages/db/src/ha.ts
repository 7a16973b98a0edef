// High availability (issue 9): the reads the HA snapshot is built from (services/ha/loader.ts),
// one cluster at a time. Writes (host HA state, VM HA settings) are in the monitor's and the
// settings' repositories.
import { getDb } from './client.ts';

export type HaClusterConfig = {
  id: string;
  name: string;
  hostDownAfterS: number;
  heartbeatStaleAfterS: number;
  heartbeatIntervalS: number;
  selfFenceAfterS: number;
  reserveHostFailures: number;
  admission: string;
};

export type HaHostRow = {
  id: string;
  name: string;
  clusterId: string;
  status: string;
  maintenance: string;
  /** The manager holding its lease, and that manager's last heartbeat (null: no lease). */
  managerId: string | null;
  managerHeartbeatAt: Date | null;
  lastSeenAt: Date | null;
  heartbeatSeenAt: Date | null;
  heartbeatOwnOkAt: Date | null;
  fenceAgent: string;
  haState: string;
  haNote: string | null;
  haStateAt: Date | null;
};

export type HaVmRow = {
  id: string;
  uuid: string;
  name: string;
  hostId: string | null;
  state: string;
  stateReason: string | null;
  stateChangedAt: Date;
  memoryMiB: number;
  haEnabled: boolean;
  haPriority: number;
  haDependsOnId: string | null;
  groupIds: string[];
  /** Its host reports a domain with its UUID. */
  domainOnHost: boolean;
  /** For a shut-off HA VM: when its current host last reported forcing it off (self-fencing). */
  selfFencedAt: Date | null;
};

export async function clusterConfig(clusterId: string): Promise<HaClusterConfig | null> {
  const c = await getDb().cluster.findUnique({
    where: { id: clusterId },
    select: HA_CONFIG_SELECT,
  });
  return c && { id: c.id, name: c.name, ...haConfigOf(c) };
}

/** The Cluster columns of its HA settings, for every reader of them (also ha-settings.ts). */
export const HA_CONFIG_SELECT = {
  id: true,
  name: true,
  haHostDownAfterS: true,
  haHeartbeatStaleAfterS: true,
  haHeartbeatIntervalS: true,
  haSelfFenceAfterS: true,
  haReserveHostFailures: true,
  haAdmission: true,
} as const;

type HaConfigColumns = {
  haHostDownAfterS: number;
  haHeartbeatStaleAfterS: number;
  haHeartbeatIntervalS: number;
  haSelfFenceAfterS: number;
  haReserveHostFailures: number;
  haAdmission: string;
};

/** The settings under their own names; admission is 'refuse' or else 'warn'. */
export function haConfigOf(c: HaConfigColumns) {
  return {
    hostDownAfterS: c.haHostDownAfterS,
    heartbeatStaleAfterS: c.haHeartbeatStaleAfterS,
    heartbeatIntervalS: c.haHeartbeatIntervalS,
    selfFenceAfterS: c.haSelfFenceAfterS,
    reserveHostFailures: c.haReserveHostFailures,
    admission: c.haAdmission === 'refuse' ? ('refuse' as const) : ('warn' as const),
  };
}

/** The cluster's hosts, by name. */
export async function hostsOf(clusterId: string): Promise<HaHostRow[]> {
  const rows = await getDb().host.findMany({
    where: { clusterId },
    orderBy: { name: 'asc' },
    select: {
      id: true,
      name: true,
      clusterId: true,
      status: true,
      maintenance: true,
      managerId: true,
      manager: { select: { heartbeatAt: true } },
      lastSeenAt: true,
      heartbeatSeenAt: true,
      heartbeatOwnOkAt: true,
      fenceAgent: true,
      haState: true,
      haNote: true,
      haStateAt: true,
    },
  });
  return rows.map(({ manager, ...h }) => ({ ...h, managerHeartbeatAt: manager?.heartbeatAt ?? null }));
}

/** VMs recorded on the cluster's hosts, with their affinity groups and whether their host defines them. */
export async function vmsOf(clusterId: string): Promise<HaVmRow[]> {
  const db = getDb();
  const rows = await db.vm.findMany({
    where: { host: { clusterId } },
    orderBy: { name: 'asc' },
    select: {
      id: true,
      uuid: true,
      name: true,
      hostId: true,
      state: true,
      stateReason: true,
      stateChangedAt: true,
      memoryMiB: true,
      haEnabled: true,
      haPriority: true,
      haDependsOnId: true,
      affinityGroups: { select: { groupId: true } },
    },
  });
  const domains = await db.hostDomain.findMany({
    where: { host: { clusterId } },
    select: { hostId: true, uuid: true },
  });
  const defined = new Set(domains.map((d) => `${d.hostId}/${d.uuid}`));
  // Only shut-off HA VMs can be waiting for a restart after their host self-fenced them.
  const stopped = rows.filter((v) => v.haEnabled && v.state === 'shutoff').map((v) => v.id);
  const fenced =
    stopped.length === 0
      ? []
      : await db.event.findMany({
          where: { kind: 'ha.self-fenced', vmId: { in: stopped } },
          orderBy: { at: 'desc' },
          select: { vmId: true, hostId: true, at: true },
        });
  const selfFencedAt = (vmId: string, hostId: string | null) =>
    fenced.find((e) => e.vmId === vmId && e.hostId === hostId)?.at ?? null;
  return rows.map(({ affinityGroups, ...v }) => ({
    ...v,
    groupIds: affinityGroups.map((g) => g.groupId),
    domainOnHost: v.hostId !== null && defined.has(`${v.hostId}/${v.uuid}`),
    selfFencedAt: stopped.includes(v.id) ? selfFencedAt(v.id, v.hostId) : null,
  }));
}
