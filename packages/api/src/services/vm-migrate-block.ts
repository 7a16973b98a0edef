/**
 * The disks of a block migration. libvirt copies a disk into a volume that must already exist on
 * the destination, so the manager makes one per copied disk, through the destination's agent, in
 * the destination's own pool (pool names and paths are unique across hosts, so the copy lands
 * at another path: the destination XML points the disk there). After a failure or a cancel those
 * volumes are removed again; after success the source's volumes are removed and the VM's disk
 * rows name the destination's.
 */
import { storagePools, type VmDiskRow, vmHardware } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { HostAgent } from './agent-router.ts';

/** One disk to copy: where it is on the source and the volume made for it on the destination. */
export interface DiskCopy {
  position: number;
  from: { pool: string; volume: string; path: string };
  to: { pool: string; volume: string; path: string };
}

/** The destination pool copied disks go to: the target host's own pool first by name. */
export async function targetLocalPool(targetHostId: string): Promise<string | null> {
  const own = (await storagePools.list())
    .filter((p) => p.scope === 'host' && p.hostId === targetHostId)
    .map((p) => p.name)
    .sort();
  return own[0] ?? null;
}

/**
 * The VM's writable disks on storage of its host's own (any pool not shared by the cluster, as
 * the pre-checks count them): the ones a block migration copies.
 */
export async function localDisks(vmId: string): Promise<VmDiskRow[]> {
  const shared = new Set((await storagePools.list()).filter((p) => p.scope === 'cluster').map((p) => p.name));
  const hw = await vmHardware.ofVm(vmId);
  return (hw?.disks ?? []).filter(
    (d) => d.pool && d.volume && !shared.has(d.pool) && !d.readOnly && d.device === 'disk',
  );
}

/**
 * Makes on the destination one blank volume per local disk, the size and format the source's
 * libvirt reports. Those made before a failure are removed again before it is rethrown.
 */
export async function makeTargetVolumes(
  disks: VmDiskRow[],
  pool: string,
  source: HostAgent,
  target: HostAgent,
): Promise<DiskCopy[]> {
  const made: DiskCopy[] = [];
  try {
    for (const d of disks) {
      const pools = (await source.request('pool.list', { name: d.pool ?? '' })).pools;
      const vol = pools[0]?.volumes?.find((v) => v.name === d.volume);
      if (!vol) {
        throw new VireoError('NOT_FOUND', `Volume ${d.volume} is not in pool ${d.pool} on the VM's host.`, {
          object: 'volume',
        });
      }
      const format = vol.format === 'raw' ? 'raw' : 'qcow2';
      const created = await target.request('volume.create', {
        pool,
        name: d.volume ?? '',
        format,
        capacityBytes: Math.max(vol.capacityBytes, 1024 * 1024),
      });
      made.push({
        position: d.position,
        from: { pool: d.pool ?? '', volume: d.volume ?? '', path: vol.path },
        to: { pool, volume: created.volume.name, path: created.volume.path },
      });
    }
    return made;
  } catch (err) {
    await removeVolumes(
      target,
      made.map((m) => m.to),
    );
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Removes volumes on one host; best effort, the names of those that stay are returned. A volume
 * still used by a domain there (the destination's incoming copy, which libvirt drops a moment
 * after an abort) is tried again for up to `waitMs`.
 */
export async function removeVolumes(
  agent: HostAgent,
  volumes: { pool: string; volume: string }[],
  waitMs = 30_000,
): Promise<string[]> {
  const left: string[] = [];
  for (const v of volumes) {
    const until = Date.now() + waitMs;
    for (;;) {
      try {
        await agent.request('volume.delete', { pool: v.pool, name: v.volume });
        break;
      } catch (err) {
        if (VireoError.is(err, 'CONFLICT') && Date.now() < until) {
          await sleep(1000);
          continue;
        }
        console.error(`could not remove volume ${v.pool}/${v.volume}:`, err);
        left.push(`${v.pool}/${v.volume}`);
        break;
      }
    }
  }
  return left;
}
