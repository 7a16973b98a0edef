// Host maintenance mode (issue 8): the state, who set it and the last job's per-VM report, all
// on the Host row so every manager sees the same. Changes are compare-and-set on the state, so
// two managers (or two admins) cannot both start entering, or exit while a job enters.
import { getDb } from './client.ts';
import { UNFINISHED_TASK_STATES } from './enums.ts';

export const MAINTENANCE_STATES = ['none', 'entering', 'maintenance'] as const;
export type MaintenanceState = (typeof MAINTENANCE_STATES)[number];

export const MAINTENANCE_TASK_KIND = 'host.maintenance';

export type MaintenanceRecord = {
  hostId: string;
  hostName: string;
  clusterId: string;
  state: MaintenanceState;
  by: string | null;
  at: Date | null;
  /** JSON written by the job (services/host-maintenance.ts); null before the first job. */
  report: string | null;
};

const asState = (s: string): MaintenanceState =>
  (MAINTENANCE_STATES as readonly string[]).includes(s) ? (s as MaintenanceState) : 'none';

export async function of(hostId: string): Promise<MaintenanceRecord | null> {
  const row = await getDb().host.findUnique({
    where: { id: hostId },
    select: {
      id: true,
      name: true,
      clusterId: true,
      maintenance: true,
      maintenanceBy: true,
      maintenanceAt: true,
      maintenanceReport: true,
    },
  });
  if (!row) return null;
  return {
    hostId: row.id,
    hostName: row.name,
    clusterId: row.clusterId,
    state: asState(row.maintenance),
    by: row.maintenanceBy,
    at: row.maintenanceAt,
    report: row.maintenanceReport,
  };
}

/** Sets the state if it is one of `from`; false if it was not (someone else changed it). */
export async function transition(
  hostId: string,
  from: readonly MaintenanceState[],
  to: MaintenanceState,
  by: string | null,
): Promise<boolean> {
  const { count } = await getDb().host.updateMany({
    where: { id: hostId, maintenance: { in: [...from] } },
    data: { maintenance: to, maintenanceBy: by, maintenanceAt: new Date() },
  });
  return count > 0;
}

export async function setReport(hostId: string, report: string | null): Promise<void> {
  await getDb().host.updateMany({ where: { id: hostId }, data: { maintenanceReport: report } });
}

/**
 * The unfinished maintenance job on this host (any manager's), if one runs; the oldest when two
 * managers started one at the same instant (the younger then gives way).
 */
export async function runningJob(hostId: string): Promise<string | null> {
  const task = await getDb().task.findFirst({
    where: { hostId, kind: MAINTENANCE_TASK_KIND, state: { in: [...UNFINISHED_TASK_STATES] } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true },
  });
  return task?.id ?? null;
}

/** The latest maintenance job on this host, if any. */
export async function latestJob(hostId: string): Promise<string | null> {
  const task = await getDb().task.findFirst({
    where: { hostId, kind: MAINTENANCE_TASK_KIND },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { id: true },
  });
  return task?.id ?? null;
}
