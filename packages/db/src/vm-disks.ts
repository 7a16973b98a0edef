/**
 * A running VM's hot-plugged disks: a VmDisk row is added once the host attached the disk and
 * removed once the host detached it (the host's answer comes first, so a refused hot-plug leaves
 * the rows as they were).
 */
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';
import type { VmDiskRow } from './vm-hardware.ts';

/** The position a new disk takes: after every drive the VM has. */
export async function nextPosition(vmId: string): Promise<number> {
  const last = await getDb().vmDisk.findFirst({
    where: { vmId },
    orderBy: { position: 'desc' },
    select: { position: true },
  });
  return last ? last.position + 1 : 0;
}

/** @throws DbConflictError when the position is taken (another add won the race). */
export async function add(vmId: string, d: VmDiskRow): Promise<void> {
  await mapDbErrors(() =>
    getDb().vmDisk.create({ data: { ...d, vmId, sizeBytes: d.sizeBytes === null ? null : BigInt(d.sizeBytes) } }),
  );
}

export async function remove(vmId: string, position: number): Promise<void> {
  await getDb().vmDisk.deleteMany({ where: { vmId, position } });
}
