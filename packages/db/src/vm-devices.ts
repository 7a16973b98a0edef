/**
 * A VM's NICs added or removed after its create, and its CD-ROM drives' media. A NIC's row is
 * written before the host is asked (its MAC is taken installation-wide by the unique index) and
 * removed again if the host refuses; a removed NIC's row goes once the host detached it.
 */
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';
import type { VmNicRow } from './vm-hardware.ts';

/** The position a new NIC takes: after every NIC the VM has. */
export async function nextNicPosition(vmId: string): Promise<number> {
  const last = await getDb().vmNic.findFirst({
    where: { vmId },
    orderBy: { position: 'desc' },
    select: { position: true },
  });
  return last ? last.position + 1 : 0;
}

export async function nicCount(vmId: string): Promise<number> {
  return getDb().vmNic.count({ where: { vmId } });
}

/** @throws DbConflictError when the MAC (fields ["mac"]) or the position is taken. */
export async function addNic(vmId: string, n: VmNicRow): Promise<void> {
  await mapDbErrors(() => getDb().vmNic.create({ data: { ...n, vmId } }));
}

export async function removeNic(vmId: string, position: number): Promise<void> {
  await getDb().vmNic.deleteMany({ where: { vmId, position } });
}

/** The medium now in a CD-ROM drive (all null: empty). */
export async function setCdromMedia(
  vmId: string,
  position: number,
  media: { pool: string | null; volume: string | null; path: string | null },
): Promise<void> {
  await getDb().vmDisk.updateMany({
    where: { vmId, position, device: 'cdrom' },
    data: { ...media, sizeBytes: null },
  });
}
