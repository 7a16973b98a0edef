import { getDb } from './client.ts';
import type { HostStatus } from './enums.ts';
import { mapDbErrors } from './errors.ts';
import { type HostConnectInput, type HostView, hostSelect, toHostView, upsertHostOnConnect } from './host-record.ts';

export type { HostConnectInput, HostFacts, HostView } from './host-record.ts';

/** Ordered by cluster, then host name. */
export async function list(filter: { clusterId?: string } = {}): Promise<HostView[]> {
  const rows = await getDb().host.findMany({
    where: { clusterId: filter.clusterId },
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

/** On manager start no agent is connected yet; returns how many hosts changed. */
export async function markAllOffline(): Promise<number> {
  const { count } = await getDb().host.updateMany({ where: { status: 'online' }, data: { status: 'offline' } });
  return count;
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
