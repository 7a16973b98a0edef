/**
 * The pool volumes of a VM's disks (vm.create with hardware): made as linked clones, full copies
 * or blank volumes through the storage facet (libvirt's volume API), looked up when they already
 * exist, and deleted again when the create fails or the VM goes. Only volumes a create made for
 * its VM are ever deleted: never a base, never a volume the VM merely attached.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { type FileError, type VmDisk, type VolumeRef, VireoError, toErrorPayload } from '@vireo/protocol';

type Storage = Hypervisor['storage'];
export interface VolumeLocation {
  path: string;
  capacityBytes: number;
}

const label = (ref: VolumeRef) => `${ref.pool}/${ref.volume}`;

/**
 * An existing volume, or NOT_FOUND (object volume) naming it. A cluster pool is one shared
 * directory: a base another host imported (a template's) is listed here only after a refresh.
 */
export async function findVolume(storage: Storage, ref: VolumeRef): Promise<VolumeLocation> {
  let v = await storage.volume(ref.pool, ref.volume);
  if (!v) {
    await storage.refreshPool(ref.pool).catch(() => undefined);
    v = await storage.volume(ref.pool, ref.volume);
  }
  if (!v) throw new VireoError('NOT_FOUND', `No volume ${label(ref)} on this host.`, { object: 'volume' });
  return { path: v.path, capacityBytes: v.capacityBytes };
}

/** Refuses a volume name that is already taken, before anything is made (so rollback never takes it). */
export async function mustBeFree(storage: Storage, ref: VolumeRef): Promise<void> {
  if (await storage.volume(ref.pool, ref.volume)) {
    throw new VireoError('CONFLICT', `Volume ${label(ref)} already exists on this host.`, { object: 'volume' });
  }
}

/** Makes the volume of a disk whose provision creates one (linkedFrom, copyFrom, blank). */
export async function makeVolume(
  storage: Storage,
  disk: VmDisk & { volume: VolumeRef },
  onProgress?: (done: number, total: number) => void,
): Promise<VolumeLocation> {
  const { pool, volume: name } = disk.volume;
  const p = disk.provision;
  let made: { path: string; capacityBytes: number };
  if (p.kind === 'linkedFrom') {
    made = await storage.cloneVolume(pool, { name, basePath: (await findVolume(storage, p.base)).path });
  } else if (p.kind === 'copyFrom') {
    const sourcePath = (await findVolume(storage, p.source)).path;
    made = await storage.copyVolume(pool, { name, sourcePath, format: disk.format }, onProgress);
  } else if (p.kind === 'blank') {
    made = await storage.createVolume(pool, { name, format: disk.format, capacityBytes: p.sizeBytes });
  } else {
    throw new VireoError('INTERNAL', `A ${p.kind} disk makes no volume.`);
  }
  return { path: made.path, capacityBytes: made.capacityBytes };
}

/** Deletes a VM's own volumes; one already gone is not an error (deleting is idempotent). */
export async function deleteOwnVolumes(
  storage: Storage,
  refs: VolumeRef[],
): Promise<{ removed: string[]; notRemoved: FileError[] }> {
  const removed: string[] = [];
  const notRemoved: FileError[] = [];
  for (const ref of refs) {
    try {
      await storage.deleteVolume(ref.pool, ref.volume);
      removed.push(label(ref));
    } catch (err) {
      if (VireoError.is(err, 'NOT_FOUND')) continue;
      const { code, message } = toErrorPayload(err);
      notRemoved.push({ path: label(ref), code, message });
    }
  }
  return { removed, notRemoved };
}
