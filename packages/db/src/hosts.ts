import { getDb } from './client.ts';
import { type InfraScope, hostScopeWhere } from './vm-visibility.ts';
import type { HostStatus } from './enums.ts';
import { mapDbErrors } from './errors.ts';
import { type HostConnectInput, type HostView, hostSelect, toHostView, upsertHostOnConnect } from './host-record.ts';

export type { HostConnectInput, HostFacts, HostView } from './host-record.ts';

/** Ordered by cluster, then host name. */
export async function list(filter: { clusterId?: string; visibleTo?: InfraScope } = {}): Promise<HostView[]> {
  const rows = await getDb().host.findMany({
    where: { clusterId: filter.clusterId, ...hostScopeWhere(filter.visibleTo) },
    select: hostSelect,
    orderBy: [{ cluster: { name: 'asc' } }, { name: 'asc' }],
  });
  return rows.map(toHostView);
}

export async function byId(id: string): Promise<HostView | null> {
  const row = await getDb().host.findUnique({ where: { id }, select: hostSelect });
  return row && toHostView(row);
}

/** Look up an agent by SHA-256 of its credential (see hashToken). */
export async function byCredentialHash(credentialHash: string): Promise<HostView | null> {
  const row = await getDb().host.findUnique({ where: { credentialHash }, select: hostSelect });
  return row && toHostView(row);
}

/** An agent (re)connected: create or refresh the host and mark it online. */
export async function upsertOnConnect(input: HostConnectInput): Promise<HostView> {
  return mapDbErrors(() => upsertHostOnConnect(getDb(), input));
}

/** @throws DbNotFoundError */
export async function setStatus(id: string, status: HostStatus): Promise<void> {
  await mapDbErrors(() => getDb().host.update({ where: { id }, data: { status }, select: { id: true } }));
}

/** Periodic stats from the agent; also refreshes lastSeenAt. @throws DbNotFoundError */
export async function updateStats(
  id: string,
  stats: { memoryFreeBytes: number; cpuUsagePercent: number },
): Promise<void> {
  await mapDbErrors(() =>
    getDb().host.update({
      where: { id },
      data: {
        memoryFreeBytes: BigInt(stats.memoryFreeBytes),
        cpuUsagePercent: stats.cpuUsagePercent,
        lastSeenAt: new Date(),
      },
      select: { id: true },
    }),
  );
}

/**
 * The agent left this manager: offline, lease cleared, but only if this manager still holds the
 * lease (the agent may already be connected to another manager). True if it changed the host.
 */
export async function releaseLease(id: string, managerId: string): Promise<boolean> {
  const { count } = await getDb().host.updateMany({
    where: { id, managerId },
    data: { status: 'offline', managerId: null },
  });
  return count > 0;
}

/**
 * Hosts shown online that no live manager holds: a dead manager's (`managerIds`) or, with
 * `null` in the list, no manager's (rows from before leases). They go offline; returns their ids.
 */
export async function markOfflineHeldBy(managerIds: readonly (string | null)[]): Promise<string[]> {
  const ids = managerIds.filter((id): id is string => id !== null);
  const where = {
    status: 'online',
    OR: [{ managerId: { in: ids } }, ...(managerIds.includes(null) ? [{ managerId: null }] : [])],
  };
  const db = getDb();
  const rows = await db.host.findMany({ where, select: { id: true } });
  if (rows.length === 0) return [];
  await db.host.updateMany({ where: { ...where, id: { in: rows.map((r) => r.id) } }, data: { status: 'offline' } });
  return rows.map((r) => r.id);
}

/** How many hosts are online, whichever manager holds them. */
export function countOnline(): Promise<number> {
  return getDb().host.count({ where: { status: 'online', managerId: { not: null } } });
}

/** Takes a host's lease for a manager whose agent connection to it is live. */
export async function claimLease(id: string, managerId: string): Promise<void> {
  await getDb().host.updateMany({ where: { id }, data: { managerId, status: 'online' } });
}

/** Which manager holds the host's lease, and where to reach it. */
export async function leaseHolder(id: string): Promise<{ managerId: string; internalUrl: string } | null> {
  const row = await getDb().host.findUnique({
    where: { id },
    select: { manager: { select: { id: true, internalUrl: true } } },
  });
  return row?.manager ? { managerId: row.manager.id, internalUrl: row.manager.internalUrl } : null;
}

/** The ids of hosts whose lease this manager holds (to drop connections it lost to another). */
export async function heldBy(managerId: string): Promise<string[]> {
  const rows = await getDb().host.findMany({ where: { managerId }, select: { id: true } });
  return rows.map((r) => r.id);
}

/**
 * Removes a host that has no VMs recorded on it (checked in the same statement). Returns false
 * if absent or if it has VMs.
 */
export async function removeIfEmpty(id: string): Promise<boolean> {
  const { count } = await getDb().host.deleteMany({ where: { id, vms: { none: {} } } });
  return count > 0;
}

/** Removes the host row; its VMs stay, with hostId = null. Returns false if absent. */
async function remove(id: string): Promise<boolean> {
  const { count } = await getDb().host.deleteMany({ where: { id } });
  return count > 0;
}
export { remove as delete };

export type HostGauges = {
  id: string;
  name: string;
  status: string;
  cpuUsagePercent: number;
  memoryBytes: number;
  memoryFreeBytes: number;
};

/** Every host's name, status and latest stats, for the metrics endpoint: one narrow query. */
export async function gauges(): Promise<HostGauges[]> {
  const rows = await getDb().host.findMany({
    select: { id: true, name: true, status: true, cpuUsagePercent: true, memoryBytes: true, memoryFreeBytes: true },
    orderBy: { name: 'asc' },
  });
  return rows.map((r) => ({
    ...r,
    memoryBytes: Number(r.memoryBytes),
    memoryFreeBytes: Number(r.memoryFreeBytes),
  }));
}

/** Ids of the hosts in these clusters or datacenters (a user's infrastructure roles). */
export async function idsUnder(scope: { clusterIds: string[]; datacenterIds: string[] }): Promise<string[]> {
  if (scope.clusterIds.length + scope.datacenterIds.length === 0) return [];
  const rows = await getDb().host.findMany({
    where: {
      OR: [{ clusterId: { in: scope.clusterIds } }, { cluster: { datacenterId: { in: scope.datacenterIds } } }],
    },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}
