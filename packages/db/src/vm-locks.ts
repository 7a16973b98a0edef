// One operation per VM at a time, across managers: the lock is a row keyed by the VM, so the
// database's primary key decides between two requests racing on different managers.
import { getDb } from './client.ts';
import { DbConflictError, mapDbErrors } from './errors.ts';

/** Takes the VM's lock; returns null on success, else the operation that holds it. */
export async function tryLock(vmId: string, operation: string, managerId: string): Promise<string | null> {
  try {
    await mapDbErrors(() => getDb().vmLock.create({ data: { vmId, operation, managerId }, select: { vmId: true } }));
    return null;
  } catch (err) {
    if (!DbConflictError.is(err)) throw err;
    const holder = await getDb().vmLock.findUnique({ where: { vmId }, select: { operation: true } });
    // Released between our insert and this read: report it busy anyway; the caller may retry.
    return holder?.operation ?? operation;
  }
}

export async function release(vmId: string, managerId: string): Promise<void> {
  await getDb().vmLock.deleteMany({ where: { vmId, managerId } });
}

export async function isLocked(vmId: string): Promise<boolean> {
  return (await getDb().vmLock.count({ where: { vmId } })) > 0;
}

/** Which of these VMs are locked (one query for a host's whole state). */
export async function lockedAmong(vmIds: readonly string[]): Promise<Set<string>> {
  if (vmIds.length === 0) return new Set();
  const rows = await getDb().vmLock.findMany({ where: { vmId: { in: [...vmIds] } }, select: { vmId: true } });
  return new Set(rows.map((r) => r.vmId));
}

/** A manager (re)starting: locks its previous run held are void (its tasks were failed). */
export async function releaseAllOf(managerId: string): Promise<void> {
  await getDb().vmLock.deleteMany({ where: { managerId } });
}
