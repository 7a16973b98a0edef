/**
 * A VM's resize against its project's quota (edit: vCPUs, memory ceiling; disks added): the
 * growth is reserved before the host is asked, and given back if the change fails; a shrink is
 * given back once the change is done. Memory counts at the VM's ceiling (its maximum: what QEMU
 * allocates), recorded on the row when the change is done, for any VM (one moved into a project
 * later is charged the same figure).
 */
import { quotas } from '@vireo/db';
import { resizeDelta } from './policy.ts';
import { reserveQuota } from './reserve.ts';

export type Resize = { done: () => Promise<void>; failed: () => Promise<void> };

export async function reserveResize(
  vmId: string,
  to: { vcpus?: number; memory?: EditedMemory; addDiskGiB?: number },
): Promise<Resize> {
  const share = await quotas.vmShare(vmId);
  if (!share) return { done: async () => {}, failed: async () => {} };
  const from = { vcpus: share.vcpus, memoryMiB: quotas.memoryCharge(share), diskGiB: share.reservedDiskGiB };
  const target = {
    vcpus: to.vcpus ?? from.vcpus,
    memoryMiB: to.memory ? editedMemoryCeiling(to.memory, from.memoryMiB) : from.memoryMiB,
    diskGiB: from.diskGiB + (to.addDiskGiB ?? 0),
  };
  const record = async () => {
    if (to.memory && target.memoryMiB !== share.memoryCeilingMiB) await quotas.setMemoryCeiling(vmId, target.memoryMiB);
    if (share.projectId && target.diskGiB !== from.diskGiB) await quotas.setReservedDisk(vmId, target.diskGiB);
  };
  const projectId = share.projectId;
  if (!projectId) return { done: record, failed: async () => {} };
  const { grow, shrink } = resizeDelta(from, target);
  await reserveQuota(projectId, grow);
  return {
    done: async () => {
      await quotas.release(projectId, shrink);
      await record();
    },
    failed: () => quotas.release(projectId, grow),
  };
}

/** An edit's memory figures; `running`: the VM runs (or is paused) while edited. */
export type EditedMemory = { memoryMiB: number; maxMemoryMiB: number; running: boolean };

/**
 * The memory ceiling an edit gives a VM: its new maximum (never below its new memory). A running
 * (or paused) VM keeps at least `ceilingMiB`, the one it has: its QEMU holds the maximum it
 * started with until it stops, whatever the definition now says (libvirt keeps the two apart).
 * A lowered maximum is thus given back by the next edit of the stopped VM (or a recount).
 */
export function editedMemoryCeiling(edit: EditedMemory, ceilingMiB: number): number {
  return Math.max(edit.memoryMiB, edit.maxMemoryMiB, edit.running ? ceilingMiB : 0);
}
