// Project quota reservation (issue 10). Each reservation is ONE conditional UPDATE of the
// project row: the counters grow only if every limit still holds after the growth, so two
// racing requests can never both pass (the database serialises writes to one row; the second
// UPDATE re-evaluates its WHERE against the first one's result, on SQLite and PostgreSQL alike).
import { getDb } from './client.ts';
import { Prisma } from './generated/client.ts';
import { type ProjectView, QUOTA_KINDS, type QuotaKind, type Usage, byId } from './projects.ts';

/** How much of each kind a change takes (or gives back); a missing kind is 0. */
export type QuotaDelta = Partial<Usage>;

const QUOTA_COLUMN: Record<QuotaKind, string> = {
  Vms: 'quotaVms',
  Vcpus: 'quotaVcpus',
  MemoryMiB: 'quotaMemoryMiB',
  DiskGiB: 'quotaDiskGiB',
  Snapshots: 'quotaSnapshots',
};
const USED_COLUMN: Record<QuotaKind, string> = {
  Vms: 'usedVms',
  Vcpus: 'usedVcpus',
  MemoryMiB: 'usedMemoryMiB',
  DiskGiB: 'usedDiskGiB',
  Snapshots: 'usedSnapshots',
};

type Executor = Pick<Prisma.TransactionClient, '$executeRaw'>;

function amounts(delta: QuotaDelta): [QuotaKind, number][] {
  return QUOTA_KINDS.map((k): [QuotaKind, number] => [k, Math.max(0, Math.trunc(delta[k] ?? 0))]).filter(
    ([, n]) => n > 0,
  );
}

export type ReserveResult = { ok: true } | { ok: false; project: ProjectView | null };

/**
 * Adds the delta to the project's used counters if no limit is passed by it (a kind the change
 * does not grow is not checked: lowering a quota below use must not block unrelated changes).
 * `force` (an approver's over-quota approval) adds it regardless. Refused: the project as it is
 * now, for the message, or null when it does not exist.
 */
export async function reserve(
  projectId: string,
  delta: QuotaDelta,
  opts: { force?: boolean } = {},
): Promise<ReserveResult> {
  if (await tryReserve(getDb(), projectId, delta, opts)) return { ok: true };
  return { ok: false, project: await byId(projectId) };
}

/** The conditional UPDATE itself, on `db` (a transaction's client too); did it pass? */
export async function tryReserve(
  db: Executor,
  projectId: string,
  delta: QuotaDelta,
  opts: { force?: boolean } = {},
): Promise<boolean> {
  const grow = amounts(delta);
  const sets = grow.map(
    ([k, n]) => Prisma.sql`${Prisma.raw(`"${USED_COLUMN[k]}"`)} = ${Prisma.raw(`"${USED_COLUMN[k]}"`)} + ${n}`,
  );
  const limits = opts.force
    ? []
    : grow.map(([k, n]) => {
        const used = Prisma.raw(`"${USED_COLUMN[k]}"`);
        const quota = Prisma.raw(`"${QUOTA_COLUMN[k]}"`);
        return Prisma.sql`(${quota} IS NULL OR ${used} + ${n} <= ${quota})`;
      });
  // Nothing to add still answers whether the project exists.
  const set = sets.length > 0 ? Prisma.join(sets, ', ') : Prisma.sql`"id" = "id"`;
  const where = Prisma.join([Prisma.sql`"id" = ${projectId}`, ...limits], ' AND ');
  return (await db.$executeRaw`UPDATE "Project" SET ${set} WHERE ${where}`) > 0;
}

/** Gives back what a reservation took (never below 0: a recount may have run in between). */
export async function release(projectId: string, delta: QuotaDelta, db: Executor = getDb()): Promise<void> {
  const give = amounts(delta);
  if (give.length === 0) return;
  const sets = give.map(([k, n]) => {
    const used = Prisma.raw(`"${USED_COLUMN[k]}"`);
    return Prisma.sql`${used} = CASE WHEN ${used} < ${n} THEN 0 ELSE ${used} - ${n} END`;
  });
  await db.$executeRaw`UPDATE "Project" SET ${Prisma.join(sets, ', ')} WHERE "id" = ${projectId}`;
}

/** What a project's VMs, their reserved disks and their snapshots hold now. */
export async function actualUsage(
  projectId: string,
  db: Prisma.TransactionClient | ReturnType<typeof getDb> = getDb(),
): Promise<Usage> {
  const [sums, memory, snapshots] = await Promise.all([
    db.vm.aggregate({
      where: { projectId },
      _count: { _all: true },
      _sum: { vcpus: true, reservedDiskGiB: true },
    }),
    // Per VM the larger of its ceiling and its memory reading (memoryCharge): not a column sum.
    db.vm.findMany({ where: { projectId }, select: { memoryMiB: true, memoryCeilingMiB: true } }),
    db.vmSnapshot.count({ where: { vm: { projectId } } }),
  ]);
  return {
    Vms: sums._count._all,
    Vcpus: sums._sum.vcpus ?? 0,
    MemoryMiB: memory.reduce((sum, vm) => sum + memoryCharge(vm), 0),
    DiskGiB: sums._sum.reservedDiskGiB ?? 0,
    Snapshots: snapshots,
  };
}

/**
 * Repair: sets the used counters to what the project's rows hold (drift after a crash between a
 * reservation and its release). Returns the counters before and after. A create reserved but
 * not yet recorded at that instant is not counted: run it when the project is quiet. A VM whose
 * memory reading passes its ceiling (its maximum raised outside Vireo, e.g. `virsh setmaxmem`)
 * gets its ceiling raised to the reading first, so its delete gives back what is counted.
 */
export async function recount(projectId: string): Promise<{ before: Usage; after: Usage } | null> {
  return getDb().$transaction(async (tx) => {
    const before = await tx.project.findUnique({
      where: { id: projectId },
      select: { usedVms: true, usedVcpus: true, usedMemoryMiB: true, usedDiskGiB: true, usedSnapshots: true },
    });
    if (!before) return null;
    await tx.$executeRaw`UPDATE "Vm" SET "memoryCeilingMiB" = "memoryMiB" WHERE "projectId" = ${projectId} AND "memoryCeilingMiB" < "memoryMiB"`;
    const after = await actualUsage(projectId, tx);
    await tx.project.update({
      where: { id: projectId },
      data: {
        usedVms: after.Vms,
        usedVcpus: after.Vcpus,
        usedMemoryMiB: after.MemoryMiB,
        usedDiskGiB: after.DiskGiB,
        usedSnapshots: after.Snapshots,
      },
      select: { id: true },
    });
    return {
      before: {
        Vms: before.usedVms,
        Vcpus: before.usedVcpus,
        MemoryMiB: before.usedMemoryMiB,
        DiskGiB: before.usedDiskGiB,
        Snapshots: before.usedSnapshots,
      },
      after,
    };
  });
}

/**
 * The memory a VM counts against its project: its ceiling (the maximum QEMU allocates, as Vireo
 * set it), or its memory when that is higher (a row from before ceilings, or a reading past it).
 * Missing ceiling (a new VM's input): its memory, the maximum a create or clone gives it.
 */
export function memoryCharge(vm: { memoryMiB: number; memoryCeilingMiB?: number | undefined }): number {
  return Math.max(vm.memoryMiB, vm.memoryCeilingMiB ?? 0);
}

/**
 * What a VM's row holds against its project: one VM, its current vCPUs (not its maximum: vCPUs
 * past the current ones exist only once hot-plugged, which an edit charges), its memory charge
 * (memoryCharge) and its reserved disk.
 */
export function vmDelta(vm: {
  vcpus: number;
  memoryMiB: number;
  memoryCeilingMiB?: number | undefined;
  reservedDiskGiB?: number;
  snapshots?: number;
}): QuotaDelta {
  return {
    Vms: 1,
    Vcpus: vm.vcpus,
    MemoryMiB: memoryCharge(vm),
    DiskGiB: vm.reservedDiskGiB ?? 0,
    Snapshots: vm.snapshots ?? 0,
  };
}

/** The VM's share, given back in the same transaction that deletes its row (vms.delete). */
export async function releaseVm(
  tx: Prisma.TransactionClient,
  vm: {
    projectId: string | null;
    vcpus: number;
    memoryMiB: number;
    memoryCeilingMiB: number;
    reservedDiskGiB: number;
    snapshots: number;
  },
): Promise<void> {
  if (!vm.projectId) return;
  await release(vm.projectId, vmDelta(vm), tx);
}

/** Records the disk GiB a VM holds (after its reservation grew or shrank). */
export async function setReservedDisk(vmId: string, diskGiB: number): Promise<void> {
  await getDb().vm.updateMany({ where: { id: vmId }, data: { reservedDiskGiB: diskGiB } });
}

/** Records the memory ceiling of a VM (after an edit changed its maximum). */
export async function setMemoryCeiling(vmId: string, memoryMiB: number): Promise<void> {
  await getDb().vm.updateMany({ where: { id: vmId }, data: { memoryCeilingMiB: memoryMiB } });
}

export type VmShare = {
  projectId: string | null;
  vcpus: number;
  memoryMiB: number;
  memoryCeilingMiB: number;
  reservedDiskGiB: number;
};

/** What a VM holds against its project (null: no such VM); its memory charge is memoryCharge(share). */
export async function vmShare(vmId: string): Promise<VmShare | null> {
  return getDb().vm.findUnique({
    where: { id: vmId },
    select: { projectId: true, vcpus: true, memoryMiB: true, memoryCeilingMiB: true, reservedDiskGiB: true },
  });
}
