/**
 * Hot-add and hot-remove of disks on a running VM, as VM tasks. The host answers first; the
 * VmDisk rows follow its answer, so a refused hot-plug changes nothing in Vireo's records.
 */
import { vmDisks, vmHardware } from '@vireo/db';
import { type DiskFormat, type HotplugBus, VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { checkPoolsOffered } from './permissions/offered.ts';
import { publishVm } from './views.ts';
import { reserveResize } from './quotas/resize.ts';
import type { VmRecord } from './vm-access.ts';
import { prepare, runVmTask } from './vm-service.ts';

export interface AddDiskInput {
  sizeBytes: number;
  bus: HotplugBus;
  format: DiskFormat;
  pool: string;
}

export async function addDisk(vm: VmRecord, user: UserView, input: AddDiskInput): Promise<{ taskId: string }> {
  await checkPoolsOffered(user, vm.projectId, [input.pool]);
  const agent = await prepare(vm, ['running'], 'hot-add a disk to');
  // The new disk's GiB against the VM's project quota, reserved before the host makes it.
  const resize = await reserveResize(vm.id, { addDiskGiB: Math.ceil(input.sizeBytes / 1024 ** 3) });
  const run = runVmTask(vm, 'vm.attachDisk', user, async (progress) => {
    const position = await vmDisks.nextPosition(vm.id);
    // Named like the blank disks of a create (vm-hardware.ts templateDisks/planHardware).
    const volume = { pool: input.pool, volume: `${vm.uuid}-disk${position}.${input.format}` };
    progress(20, `Making volume ${volume.volume}`);
    let made: Awaited<ReturnType<typeof agent.request<'vm.attachDisk'>>>;
    try {
      made = await agent.request('vm.attachDisk', {
        uuid: vm.uuid,
        volume,
        sizeBytes: input.sizeBytes,
        bus: input.bus,
        format: input.format,
      });
    } catch (err) {
      await resize.failed();
      throw err;
    }
    await resize.done();
    await vmDisks.add(vm.id, {
      position,
      pool: volume.pool,
      volume: volume.volume,
      path: made.path,
      device: 'disk',
      bus: input.bus,
      format: input.format,
      sizeBytes: made.sizeBytes,
      readOnly: false,
      owned: true,
    });
    await publishVm(vm.id);
    return `Added disk ${made.target} (${volume.pool}/${volume.volume})`;
  });
  const taskId = await run.catch(async (err: unknown) => {
    await resize.failed();
    throw err;
  });
  return { taskId };
}

/** Detaches the disk at `position`; its volume goes with it only if it was made for the VM. */
export async function removeDisk(vm: VmRecord, user: UserView, position: number): Promise<{ taskId: string }> {
  const hw = await vmHardware.ofVm(vm.id);
  const disk = hw?.disks.find((d) => d.position === position);
  if (!hw || !disk) throw new VireoError('NOT_FOUND', `VM ${vm.name} has no drive ${position}.`, { object: 'disk' });
  if (disk.device !== 'disk' || disk.bus === 'sata') {
    throw new VireoError('INVALID_STATE', 'Only virtio and SCSI disks can be removed while the VM runs.', {
      object: 'disk',
    });
  }
  if (hw.disks.find((d) => d.device === 'disk')?.position === position) {
    throw new VireoError('INVALID_STATE', 'The first disk is the boot disk; stop the VM to change it.', {
      object: 'disk',
    });
  }
  if (!disk.path) throw new VireoError('INVALID_STATE', 'The host has not reported this disk yet.', { object: 'disk' });
  const agent = await prepare(vm, ['running'], 'hot-remove a disk from');
  const own = disk.owned && disk.pool && disk.volume ? { pool: disk.pool, volume: disk.volume } : undefined;
  const path = disk.path;
  const taskId = await runVmTask(vm, 'vm.detachDisk', user, async (progress) => {
    progress(20, 'Asking the guest to release the disk');
    const r = await agent.request(
      'vm.detachDisk',
      { uuid: vm.uuid, path, ...(own ? { deleteVolume: own } : {}) },
      { timeoutMs: 60_000 },
    );
    await vmDisks.remove(vm.id, position);
    await publishVm(vm.id);
    const what = own ? (r.volumeDeleted ? '; its volume was deleted' : '; its volume could not be deleted') : '';
    return `Removed the disk${what}`;
  });
  return { taskId };
}
