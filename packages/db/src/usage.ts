// Showback metering (issue 10, docs/leases-showback.md): resource use per project and hour, the
// metering cursor that makes each interval counted once, and the admins' prices.
import { getDb } from './client.ts';

/** The project id under which VMs outside every project are counted. */
export const NO_PROJECT_ID = '';

export type UsageAdd = {
  projectId: string;
  hourStart: Date;
  vcpuSeconds: number;
  memoryMiBSeconds: number;
  diskGiBSeconds: number;
};

export type UsageBucketRow = UsageAdd;

export type Prices = { currency: string; vcpuHour: number; memoryGiBHour: number; diskGiBHour: number };

const CURSOR_ID = 'usage';
const PRICE_ID = 'default';

/** Where metering stands (null: never ran). */
export async function meteredUntil(): Promise<Date | null> {
  const row = await getDb().meterCursor.findUnique({ where: { id: CURSOR_ID }, select: { meteredUntil: true } });
  return row?.meteredUntil ?? null;
}

/** Starts the cursor at `at` if it has none; a racing manager's start wins harmlessly. */
export async function startCursor(at: Date): Promise<void> {
  await getDb()
    .meterCursor.create({ data: { id: CURSOR_ID, meteredUntil: at } })
    .catch(() => undefined); // exists already: another manager (or an earlier run) started it
}

/**
 * Adds one interval's usage, in one transaction with moving the cursor from `from` to `to`: only
 * the caller that still finds the cursor at `from` adds anything (false otherwise), so with
 * several managers every interval is counted exactly once, and never half.
 */
export async function addInterval(from: Date, to: Date, adds: readonly UsageAdd[]): Promise<boolean> {
  return getDb().$transaction(async (tx) => {
    const moved = await tx.meterCursor.updateMany({
      where: { id: CURSOR_ID, meteredUntil: from },
      data: { meteredUntil: to },
    });
    if (moved.count !== 1) return false;
    for (const a of adds) {
      await tx.usageBucket.upsert({
        where: { projectId_hourStart: { projectId: a.projectId, hourStart: a.hourStart } },
        create: a,
        update: {
          vcpuSeconds: { increment: a.vcpuSeconds },
          memoryMiBSeconds: { increment: a.memoryMiBSeconds },
          diskGiBSeconds: { increment: a.diskGiBSeconds },
        },
      });
    }
    return true;
  });
}

/** Buckets with from <= hourStart < to, of these projects (all when omitted), oldest first. */
export async function buckets(filter: { from: Date; to: Date; projectIds?: string[] }): Promise<UsageBucketRow[]> {
  return getDb().usageBucket.findMany({
    where: {
      hourStart: { gte: filter.from, lt: filter.to },
      ...(filter.projectIds ? { projectId: { in: filter.projectIds } } : {}),
    },
    select: { projectId: true, hourStart: true, vcpuSeconds: true, memoryMiBSeconds: true, diskGiBSeconds: true },
    orderBy: [{ hourStart: 'asc' }, { projectId: 'asc' }],
  });
}

/** What each running or existing VM holds, for the metering step. */
export type VmAllocation = {
  projectId: string | null;
  state: string;
  vcpus: number;
  memoryMiB: number;
  diskBytes: bigint;
};

/** Every VM's allocation: vCPUs, memory and the summed size of its own disks (not CD-ROMs). */
export async function allocations(): Promise<VmAllocation[]> {
  const rows = await getDb().vm.findMany({
    select: {
      projectId: true,
      state: true,
      vcpus: true,
      memoryMiB: true,
      disks: { where: { device: 'disk' }, select: { sizeBytes: true } },
    },
  });
  return rows.map((r) => ({
    projectId: r.projectId,
    state: r.state,
    vcpus: r.vcpus,
    memoryMiB: r.memoryMiB,
    diskBytes: r.disks.reduce((s, d) => s + (d.sizeBytes ?? 0n), 0n),
  }));
}

export async function prices(): Promise<Prices> {
  const row = await getDb().showbackPrice.findUnique({
    where: { id: PRICE_ID },
    select: { currency: true, vcpuHour: true, memoryGiBHour: true, diskGiBHour: true },
  });
  return row ?? { currency: 'EUR', vcpuHour: 0, memoryGiBHour: 0, diskGiBHour: 0 };
}

export async function setPrices(p: Prices): Promise<Prices> {
  return getDb().showbackPrice.upsert({
    where: { id: PRICE_ID },
    create: { id: PRICE_ID, ...p },
    update: p,
    select: { currency: true, vcpuHour: true, memoryGiBHour: true, diskGiBHour: true },
  });
}
