/**
 * The inventory's shape (issue 8): datacenters, their clusters, the hosts in them. Guards live
 * in the write itself (a conditional delete or update), so two managers acting at once cannot
 * remove a datacenter that just got a cluster, or move a host that just got a VM: the caller
 * reads the reason back with `blockers…` only after the write refused.
 */
import { getDb } from './client.ts';
import { clusterScopeWhere, datacenterScopeWhere, hostScopeWhere, type InfraScope } from './vm-visibility.ts';
import { mapDbErrors } from './errors.ts';

export type DatacenterRecord = { id: string; name: string };
export type ClusterRecord = { id: string; name: string; datacenterId: string; datacenterName: string };

/** Names of the things that keep an object where it is; empty lists: nothing does. */
export type ClusterBlockers = { hosts: string[]; networks: string[]; pools: string[] };

export type TreeHost = {
  id: string;
  name: string;
  clusterId: string;
  status: string;
  managerId: string | null;
  /** Host.maintenance: 'none' | 'entering' | 'maintenance'. */
  maintenance: string;
  vmsTotal: number;
  vmsRunning: number;
};
export type TreeCluster = { id: string; name: string; datacenterId: string };
export type Tree = { datacenters: DatacenterRecord[]; clusters: TreeCluster[]; hosts: TreeHost[] };

const NAME_SAMPLE = 5;

export async function datacenterById(id: string): Promise<DatacenterRecord | null> {
  return getDb().datacenter.findUnique({ where: { id }, select: { id: true, name: true } });
}

export async function clusterById(id: string): Promise<ClusterRecord | null> {
  const row = await getDb().cluster.findUnique({
    where: { id },
    select: { id: true, name: true, datacenterId: true, datacenter: { select: { name: true } } },
  });
  return row && { id: row.id, name: row.name, datacenterId: row.datacenterId, datacenterName: row.datacenter.name };
}

/** @throws DbConflictError when the name is taken. */
export async function createDatacenter(name: string): Promise<DatacenterRecord> {
  return mapDbErrors(() => getDb().datacenter.create({ data: { name }, select: { id: true, name: true } }));
}

/** @throws DbConflictError, DbNotFoundError */
export async function renameDatacenter(id: string, name: string): Promise<void> {
  await mapDbErrors(() => getDb().datacenter.update({ where: { id }, data: { name }, select: { id: true } }));
}

/** Deletes the datacenter if it has no cluster. False: it has some (or is gone). */
export async function deleteDatacenterIfEmpty(id: string): Promise<boolean> {
  const { count } = await getDb().datacenter.deleteMany({ where: { id, clusters: { none: {} } } });
  return count > 0;
}

/** The first few cluster names of a datacenter, and how many it has. */
export async function clustersOf(datacenterId: string): Promise<{ names: string[]; total: number }> {
  const db = getDb();
  const [rows, total] = await Promise.all([
    db.cluster.findMany({
      where: { datacenterId },
      select: { name: true },
      orderBy: { name: 'asc' },
      take: NAME_SAMPLE,
    }),
    db.cluster.count({ where: { datacenterId } }),
  ]);
  return { names: rows.map((r) => r.name), total };
}

/** @throws DbConflictError when the datacenter already has a cluster of this name. */
export async function createCluster(datacenterId: string, name: string): Promise<{ id: string }> {
  return mapDbErrors(() => getDb().cluster.create({ data: { name, datacenterId }, select: { id: true } }));
}

/** Rename and/or move to another datacenter. @throws DbConflictError, DbNotFoundError */
export async function updateCluster(id: string, data: { name?: string; datacenterId?: string }): Promise<void> {
  await mapDbErrors(() => getDb().cluster.update({ where: { id }, data, select: { id: true } }));
}

/** Deletes the cluster if nothing is in it or bound to it. False: something is (or it is gone). */
export async function deleteClusterIfEmpty(id: string): Promise<boolean> {
  const { count } = await getDb().cluster.deleteMany({
    where: { id, hosts: { none: {} }, networks: { none: {} }, storagePools: { none: {} } },
  });
  return count > 0;
}

export async function clusterBlockers(id: string): Promise<ClusterBlockers> {
  const db = getDb();
  const byName = { select: { name: true }, orderBy: { name: 'asc' as const }, take: NAME_SAMPLE };
  const [hosts, networks, pools] = await Promise.all([
    db.host.findMany({ where: { clusterId: id }, ...byName }),
    db.network.findMany({ where: { clusterId: id }, ...byName }),
    db.storagePool.findMany({ where: { clusterId: id }, ...byName }),
  ]);
  return { hosts: hosts.map((r) => r.name), networks: networks.map((r) => r.name), pools: pools.map((r) => r.name) };
}

/**
 * Moves a host to another cluster only while no VM is recorded on it and no host-scoped network
 * lives on it (those belong to its old cluster). False: something is there (or it is gone).
 */
export async function moveHostIfEmpty(hostId: string, clusterId: string): Promise<boolean> {
  const { count } = await getDb().host.updateMany({
    where: { id: hostId, vms: { none: {} }, networks: { none: {} } },
    data: { clusterId },
  });
  return count > 0;
}

/** What keeps a host in its cluster: a few VM names (and their count), its host networks. */
export async function hostBlockers(hostId: string): Promise<{ vms: string[]; vmTotal: number; networks: string[] }> {
  const db = getDb();
  const [vms, vmTotal, networks] = await Promise.all([
    db.vm.findMany({ where: { hostId }, select: { name: true }, orderBy: { name: 'asc' }, take: NAME_SAMPLE }),
    db.vm.count({ where: { hostId } }),
    db.network.findMany({ where: { hostId }, select: { name: true }, orderBy: { name: 'asc' } }),
  ]);
  return { vms: vms.map((r) => r.name), vmTotal, networks: networks.map((r) => r.name) };
}

/**
 * The whole tree down to hosts, with each host's VM counts from one grouped query: cheap with
 * thousands of VMs (VMs themselves are read per host, `hostVms`).
 */
export async function tree(visibleTo?: InfraScope): Promise<Tree> {
  const db = getDb();
  const [datacenters, clusters, hosts, groups] = await Promise.all([
    db.datacenter.findMany({
      where: datacenterScopeWhere(visibleTo),
      select: { id: true, name: true },
      orderBy: { name: 'asc' },
    }),
    db.cluster.findMany({
      where: clusterScopeWhere(visibleTo),
      select: { id: true, name: true, datacenterId: true },
      orderBy: { name: 'asc' },
    }),
    db.host.findMany({
      where: hostScopeWhere(visibleTo),
      select: { id: true, name: true, clusterId: true, status: true, managerId: true, maintenance: true },
      orderBy: { name: 'asc' },
    }),
    db.vm.groupBy({ by: ['hostId', 'state'], where: { hostId: { not: null } }, _count: { _all: true } }),
  ]);
  const counts = new Map<string, { total: number; running: number }>();
  for (const g of groups) {
    if (!g.hostId) continue;
    const c = counts.get(g.hostId) ?? { total: 0, running: 0 };
    c.total += g._count._all;
    if (g.state === 'running') c.running += g._count._all;
    counts.set(g.hostId, c);
  }
  return {
    datacenters,
    clusters,
    hosts: hosts.map((h) => ({
      ...h,
      // As host-record.ts: marked online but held by no manager is not online.
      status: h.status === 'online' && !h.managerId ? 'offline' : h.status,
      vmsTotal: counts.get(h.id)?.total ?? 0,
      vmsRunning: counts.get(h.id)?.running ?? 0,
    })),
  };
}

/** One host's VMs by name (the tree's leaves, read when the host is expanded). */
export async function hostVms(hostId: string, limit: number): Promise<{ id: string; name: string; state: string }[]> {
  return getDb().vm.findMany({
    where: { hostId },
    select: { id: true, name: true, state: true },
    orderBy: { name: 'asc' },
    take: limit,
  });
}
