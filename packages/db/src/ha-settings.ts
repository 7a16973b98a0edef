// High availability settings (issue 9): a VM's HA flags, a cluster's HA timeouts and admission
// policy, a host's fence device. The HA monitor's own state (haState, heartbeats, the monitor
// lease) is written elsewhere; here it is only read, for the settings pages.
import { getDb } from './client.ts';
import { HA_CONFIG_SELECT, haConfigOf } from './ha.ts';

export type VmHaSettings = { haEnabled: boolean; haPriority: number; haDependsOnId: string | null };

export type VmHaRecord = VmHaSettings & {
  id: string;
  name: string;
  hostId: string | null;
  /** Its host's cluster (null while it has no host). */
  clusterId: string | null;
  memoryMiB: number;
  dependsOnName: string | null;
  /** Its drives: pool null is the template overlay (device 'disk') or an empty CD-ROM drive. */
  disks: { position: number; device: string; pool: string | null; volume: string | null }[];
};

export type ClusterHaSettings = {
  hostDownAfterS: number;
  heartbeatStaleAfterS: number;
  heartbeatIntervalS: number;
  selfFenceAfterS: number;
  reserveHostFailures: number;
  admission: 'warn' | 'refuse';
};

export type ClusterHaRecord = ClusterHaSettings & {
  clusterId: string;
  clusterName: string;
  hostCount: number;
  monitorBy: string | null;
  monitorAt: Date | null;
};

export type HostFenceRecord = {
  hostId: string;
  hostName: string;
  clusterId: string;
  fenceAgent: string;
  /** Parsed Host.fenceOptions (a JSON object of strings; anything else reads as {}). */
  fenceOptions: Record<string, string>;
  haState: string;
  haNote: string | null;
  haStateAt: Date | null;
  heartbeatSeenAt: Date | null;
  heartbeatOwnOkAt: Date | null;
};

export type ClusterHaVm = VmHaSettings & { id: string; name: string; hostId: string; memoryMiB: number };

export async function vm(vmId: string): Promise<VmHaRecord | null> {
  const r = await getDb().vm.findUnique({
    where: { id: vmId },
    select: {
      id: true,
      name: true,
      hostId: true,
      memoryMiB: true,
      haEnabled: true,
      haPriority: true,
      haDependsOnId: true,
      host: { select: { clusterId: true } },
      disks: { select: { position: true, device: true, pool: true, volume: true }, orderBy: { position: 'asc' } },
    },
  });
  if (!r) return null;
  const dep = r.haDependsOnId
    ? await getDb().vm.findUnique({ where: { id: r.haDependsOnId }, select: { name: true } })
    : null;
  return {
    id: r.id,
    name: r.name,
    hostId: r.hostId,
    clusterId: r.host?.clusterId ?? null,
    memoryMiB: r.memoryMiB,
    haEnabled: r.haEnabled,
    haPriority: r.haPriority,
    haDependsOnId: r.haDependsOnId,
    dependsOnName: dep?.name ?? null,
    disks: r.disks,
  };
}

/** Every VM recorded on a host of the cluster, with its HA settings. */
export async function vmsOfCluster(clusterId: string): Promise<ClusterHaVm[]> {
  const rows = await getDb().vm.findMany({
    where: { host: { clusterId } },
    select: {
      id: true,
      name: true,
      hostId: true,
      memoryMiB: true,
      haEnabled: true,
      haPriority: true,
      haDependsOnId: true,
    },
    orderBy: { name: 'asc' },
  });
  return rows.flatMap((r) => (r.hostId ? [{ ...r, hostId: r.hostId }] : []));
}

/** The VM each of `ids` depends on (id → haDependsOnId), for the cycle check. */
export async function dependencies(ids: readonly string[]): Promise<Map<string, string | null>> {
  const rows = await getDb().vm.findMany({
    where: { id: { in: [...ids] } },
    select: { id: true, haDependsOnId: true },
  });
  return new Map(rows.map((r) => [r.id, r.haDependsOnId]));
}

/** Returns false when the VM no longer exists. */
/** The cluster's HA generation (Cluster.haGeneration); null for no such cluster. */
export async function generation(clusterId: string): Promise<number | null> {
  const c = await getDb().cluster.findUnique({ where: { id: clusterId }, select: { haGeneration: true } });
  return c?.haGeneration ?? null;
}

/**
 * Writes a VM's HA settings and bumps its cluster's HA generation, in one transaction. With
 * `ifGeneration`, only while the cluster is still at that generation (what an admission check
 * was made against): 'stale' then means another change came between, and nothing was written.
 */
export async function setVm(
  vmId: string,
  s: VmHaSettings,
  cas?: { clusterId: string; ifGeneration: number },
): Promise<'ok' | 'stale' | 'not-found'> {
  return getDb()
    .$transaction(async (tx) => {
      const clusterId =
        cas?.clusterId ??
        (await tx.vm.findUnique({ where: { id: vmId }, select: { host: { select: { clusterId: true } } } }))?.host
          ?.clusterId;
      if (clusterId) {
        const bumped = await tx.cluster.updateMany({
          where: { id: clusterId, ...(cas ? { haGeneration: cas.ifGeneration } : {}) },
          data: { haGeneration: { increment: 1 } },
        });
        if (bumped.count === 0 && cas) return 'stale';
      }
      const r = await tx.vm.updateMany({ where: { id: vmId }, data: s });
      // Throwing rolls the bump back: nothing changes for a VM that is gone.
      if (r.count !== 1) throw new VmGone();
      return 'ok';
    })
    .catch((err: unknown) => {
      if (err instanceof VmGone) return 'not-found' as const;
      throw err;
    });
}

class VmGone extends Error {}

/** Storage pools by name: where each is (scope 'cluster' is the cluster's shared directory). */
export async function pools(
  names: readonly string[],
): Promise<Map<string, { scope: string; clusterId: string | null; hostId: string | null }>> {
  const rows = await getDb().storagePool.findMany({
    where: { name: { in: [...names] } },
    select: { name: true, scope: true, clusterId: true, hostId: true },
  });
  return new Map(rows.map((r) => [r.name, { scope: r.scope, clusterId: r.clusterId, hostId: r.hostId }]));
}

export async function cluster(clusterId: string): Promise<ClusterHaRecord | null> {
  const r = await getDb().cluster.findUnique({
    where: { id: clusterId },
    select: {
      ...HA_CONFIG_SELECT,
      haMonitorBy: true,
      haMonitorAt: true,
      _count: { select: { hosts: true } },
    },
  });
  if (!r) return null;
  return {
    clusterId: r.id,
    clusterName: r.name,
    hostCount: r._count.hosts,
    ...haConfigOf(r),
    monitorBy: r.haMonitorBy,
    monitorAt: r.haMonitorAt,
  };
}

export async function setCluster(clusterId: string, s: ClusterHaSettings): Promise<boolean> {
  const r = await getDb().cluster.updateMany({
    where: { id: clusterId },
    data: {
      haHostDownAfterS: s.hostDownAfterS,
      haHeartbeatStaleAfterS: s.heartbeatStaleAfterS,
      haHeartbeatIntervalS: s.heartbeatIntervalS,
      haSelfFenceAfterS: s.selfFenceAfterS,
      haReserveHostFailures: s.reserveHostFailures,
      haAdmission: s.admission,
      // A stricter reserve or policy invalidates admission checks made before it.
      haGeneration: { increment: 1 },
    },
  });
  return r.count === 1;
}

function parseOptions(json: string): Record<string, string> {
  try {
    const v: unknown = JSON.parse(json);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

export async function hostFence(hostId: string): Promise<HostFenceRecord | null> {
  const r = await getDb().host.findUnique({
    where: { id: hostId },
    select: {
      id: true,
      name: true,
      clusterId: true,
      fenceAgent: true,
      fenceOptions: true,
      haState: true,
      haNote: true,
      haStateAt: true,
      heartbeatSeenAt: true,
      heartbeatOwnOkAt: true,
    },
  });
  if (!r) return null;
  const { id, name, fenceOptions, ...rest } = r;
  return { hostId: id, hostName: name, fenceOptions: parseOptions(fenceOptions), ...rest };
}

export async function setFence(hostId: string, agent: string, options: Record<string, string>): Promise<boolean> {
  const r = await getDb().host.updateMany({
    where: { id: hostId },
    data: { fenceAgent: agent, fenceOptions: JSON.stringify(options) },
  });
  return r.count === 1;
}
