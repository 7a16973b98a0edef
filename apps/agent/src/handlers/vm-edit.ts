/**
 * Disk hot-plug on a running VM: a blank volume is made in a pool of this host and attached live
 * and to the definition; detaching waits for the guest to release the disk before its volume may
 * go. Both are idempotent: a re-sent attach finds its volume attached, a re-sent detach finds
 * the disk gone.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, VireoError } from '@vireo/protocol';
import type { Logger } from '../logger.ts';
import { deleteOwnVolumes, makeVolume, mustBeFree } from '../vm-volumes.ts';

type EditMethod = 'vm.attachDisk' | 'vm.detachDisk';
type Handler<M extends EditMethod> = (params: AgentParams<M>) => Promise<AgentResult<M>>;

export function vmEditHandlers(hv: Hypervisor, logger: Logger): { [M in EditMethod]: Handler<M> } {
  async function mustRun(uuid: string, verb: string): Promise<void> {
    const d = await hv.domain(uuid);
    if (!d) throw new VireoError('NOT_FOUND', `No VM ${uuid} on this host.`, { object: 'vm' });
    if (d.state !== 'running') {
      throw new VireoError('INVALID_STATE', `Cannot ${verb} while the VM is ${d.state}.`, { object: 'vm' });
    }
  }

  return {
    async 'vm.attachDisk'({ uuid, volume, sizeBytes, bus, format }) {
      await mustRun(uuid, 'hot-add a disk');
      const existing = await hv.storage.volume(volume.pool, volume.volume);
      if (existing) {
        // A re-sent attach: the volume is ours only if this domain already has it.
        const attached = (await hv.devices.diskTargets(uuid)).find((d) => d.path === existing.path);
        if (attached) return { target: attached.target, path: existing.path, sizeBytes: existing.capacityBytes };
        await mustBeFree(hv.storage, volume); // throws CONFLICT naming the volume
      }
      const made = await makeVolume(hv.storage, {
        device: 'disk',
        bus,
        format,
        readOnly: false,
        volume,
        provision: { kind: 'blank', sizeBytes },
      });
      try {
        const target = await hv.devices.attachDisk(uuid, { path: made.path, bus, format });
        return { target, path: made.path, sizeBytes: made.capacityBytes };
      } catch (err) {
        // The volume was made for this attach alone; libvirt refused it, so nothing uses it.
        const { notRemoved } = await deleteOwnVolumes(hv.storage, [volume]);
        if (notRemoved.length > 0) logger.error('could not remove the volume of a failed hot-add', { notRemoved });
        throw err;
      }
    },

    async 'vm.detachDisk'({ uuid, path, deleteVolume }) {
      await mustRun(uuid, 'hot-remove a disk');
      const disk = (await hv.devices.diskTargets(uuid)).find((d) => d.path === path);
      if (disk) await hv.devices.detachDisk(uuid, disk.target);
      let volumeDeleted = false;
      if (deleteVolume) {
        const v = await hv.storage.volume(deleteVolume.pool, deleteVolume.volume);
        // Only the volume the detached disk used: a mistaken ref never takes another disk.
        if (v && v.path === path) {
          const { notRemoved } = await deleteOwnVolumes(hv.storage, [deleteVolume]);
          if (notRemoved.length > 0) logger.warn('detached the disk but could not delete its volume', { notRemoved });
          volumeDeleted = notRemoved.length === 0;
        }
      }
      return { detached: Boolean(disk), volumeDeleted };
    },
  };
}
