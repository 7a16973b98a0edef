// VM snapshots (a mirror of libvirt's list, replaced whole from each answer) and snapshot
// schedules (one per VM, claimed by whichever manager gets to a due one first).
import { getDb } from './client.ts';

export interface SnapshotRow {
  name: string;
  displayName: string | null;
  description: string;
  parent: string | null;
  withMemory: boolean;
  state: string;
  current: boolean;
  scheduled: boolean;
  createdAt: Date;
}

/** What libvirt reports of one snapshot (the agent's SnapshotInfo). */
export interface SnapshotFact {
  name: string;
  description: string;
  parent: string | null;
  withMemory: boolean;
  state: string;
  current: boolean;
  createdAt: number;
}

const rowSelect = {
  name: true,
  displayName: true,
  description: true,
  parent: true,
  withMemory: true,
  state: true,
  current: true,
  scheduled: true,
  createdAt: true,
} as const;

export async function listForVm(vmId: string): Promise<SnapshotRow[]> {
  return getDb().vmSnapshot.findMany({
    where: { vmId },
    select: rowSelect,
    orderBy: [{ createdAt: 'asc' }, { name: 'asc' }],
  });
}

/**
 * Makes the VM's rows match libvirt's list: rows of snapshots libvirt no longer has go, new ones
 * come, the rest take libvirt's facts; Vireo's own fields (display name, scheduled) stay.
 * `scheduledNew`: names just made by the schedule.
 */
export async function replaceForVm(vmId: string, facts: SnapshotFact[], scheduledNew: string[] = []): Promise<void> {
  const db = getDb();
  await db.$transaction(async (tx) => {
    await tx.vmSnapshot.deleteMany({ where: { vmId, name: { notIn: facts.map((f) => f.name) } } });
    for (const f of facts) {
      const data = {
        description: f.description,
        parent: f.parent,
        withMemory: f.withMemory,
        state: f.state,
        current: f.current,
        createdAt: new Date(f.createdAt),
      };
      await tx.vmSnapshot.upsert({
        where: { vmId_name: { vmId, name: f.name } },
        create: { vmId, name: f.name, scheduled: scheduledNew.includes(f.name), ...data },
        update: data,
        select: { id: true },
      });
    }
  });
}

export async function setDisplayName(vmId: string, name: string, displayName: string | null): Promise<boolean> {
  const r = await getDb().vmSnapshot.updateMany({ where: { vmId, name }, data: { displayName } });
  return r.count > 0;
}

export interface ScheduleRow {
  vmId: string;
  intervalMinutes: number;
  withMemory: boolean;
  keepLast: number | null;
  keepDays: number | null;
  enabled: boolean;
  nextRunAt: Date;
  lastRunAt: Date | null;
}

const scheduleSelect = {
  vmId: true,
  intervalMinutes: true,
  withMemory: true,
  keepLast: true,
  keepDays: true,
  enabled: true,
  nextRunAt: true,
  lastRunAt: true,
} as const;

export async function scheduleOf(vmId: string): Promise<ScheduleRow | null> {
  return getDb().snapshotSchedule.findUnique({ where: { vmId }, select: scheduleSelect });
}

export type ScheduleInput = Omit<ScheduleRow, 'vmId' | 'lastRunAt'>;

export async function putSchedule(vmId: string, s: ScheduleInput): Promise<ScheduleRow> {
  return getDb().snapshotSchedule.upsert({
    where: { vmId },
    create: { vmId, ...s },
    update: s,
    select: scheduleSelect,
  });
}

export async function removeSchedule(vmId: string): Promise<void> {
  await getDb().snapshotSchedule.deleteMany({ where: { vmId } });
}

export async function dueSchedules(now: Date, limit = 20): Promise<ScheduleRow[]> {
  return getDb().snapshotSchedule.findMany({
    where: { enabled: true, nextRunAt: { lte: now } },
    select: scheduleSelect,
    orderBy: { nextRunAt: 'asc' },
    take: limit,
  });
}

/**
 * Claims one due run: moves nextRunAt on only if it is still the value this manager read, so of
 * two managers reading the same due schedule exactly one wins (a compare-and-set on the row).
 */
export async function claimRun(vmId: string, seenNextRunAt: Date, now: Date, next: Date): Promise<boolean> {
  const r = await getDb().snapshotSchedule.updateMany({
    where: { vmId, nextRunAt: seenNextRunAt, enabled: true },
    data: { nextRunAt: next, lastRunAt: now },
  });
  return r.count === 1;
}
