/**
 * A VM's resize against its project's quota (edit: vCPUs, memory; disks added): the growth is
 * reserved before the host is asked, and given back if the change fails; a shrink is given
 * back once the change is done.
 */
import { quotas } from '@vireo/db';
import { resizeDelta } from './policy.ts';
import { reserveQuota } from './reserve.ts';

export type Resize = { done: () => Promise<void>; failed: () => Promise<void> };

const NOTHING: Resize = { done: async () => {}, failed: async () => {} };

export async function reserveResize(
  vmId: string,
  to: { vcpus?: number; memoryMiB?: number; addDiskGiB?: number },
): Promise<Resize> {
  const share = await quotas.vmShare(vmId);
  if (!share?.projectId) return NOTHING;
  const projectId = share.projectId;
  const from = { vcpus: share.vcpus, memoryMiB: share.memoryMiB, diskGiB: share.reservedDiskGiB };
  const target = {
    vcpus: to.vcpus ?? share.vcpus,
    memoryMiB: to.memoryMiB ?? share.memoryMiB,
    diskGiB: share.reservedDiskGiB + (to.addDiskGiB ?? 0),
  };
  const { grow, shrink } = resizeDelta(from, target);
  await reserveQuota(projectId, grow);
  return {
    done: async () => {
      await quotas.release(projectId, shrink);
      if (target.diskGiB !== from.diskGiB) await quotas.setReservedDisk(vmId, target.diskGiB);
    },
    failed: () => quotas.release(projectId, grow),
  };
}
