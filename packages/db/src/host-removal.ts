// Removing a host that still has VMs recorded on it ("force"): Vireo cannot reach the machine, so
// it touches nothing there. The VMs' records stay (with their disks, NICs, snapshots and history),
// without a host and in state `unknown`, so an admin can adopt them on a host that reports their
// domains or delete them; the host row and what hangs on it (its own pools, leases) go.
import { getDb } from './client.ts';

export const HOST_REMOVED_REASON = 'host removed';

/** The VMs recorded on a host: the list a removal shows before it is confirmed. */
export async function vmsOn(hostId: string): Promise<{ id: string; name: string; state: string }[]> {
  return getDb().vm.findMany({
    where: { hostId },
    select: { id: true, name: true, state: true },
    orderBy: { name: 'asc' },
  });
}

/**
 * Orphans the host's VMs and removes the host, in one transaction. Returns the VMs orphaned, or
 * null when the host is gone already.
 */
export async function removeForced(hostId: string): Promise<{ id: string; name: string; state: string }[] | null> {
  return getDb().$transaction(async (tx) => {
    const host = await tx.host.findUnique({ where: { id: hostId }, select: { id: true } });
    if (!host) return null;
    const vms = await tx.vm.findMany({
      where: { hostId },
      select: { id: true, name: true, state: true },
      orderBy: { name: 'asc' },
    });
    await tx.vm.updateMany({
      where: { hostId },
      data: { hostId: null, state: 'unknown', stateReason: HOST_REMOVED_REASON, stateChangedAt: new Date() },
    });
    await tx.host.delete({ where: { id: hostId } });
    return vms;
  });
}
