/**
 * A pool volume from one internal snapshot of a disk (protocol methods/snapshot-volumes.ts). The
 * volume is made by libvirt in the pool (so the pool lists it and libvirt owns its file), then
 * filled by `qemu-img convert -n -l snapshot.name=S`, which reads the disk as it was at the
 * snapshot, backing chain included, into the flat qcow2. While that runs the volume is in the
 * journal: a killed agent's successor deletes it (jobs.ts settleVolume), so no half copy stays.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, VireoError, type snapshotVolumeRequests } from '@vireo/protocol';
import type { Operation } from '../jobs.ts';
import type { Journal } from '../journal.ts';
import type { Logger } from '../logger.ts';

const run = promisify(execFile);

type Method = keyof typeof snapshotVolumeRequests;
type Handler<M extends Method> = (params: AgentParams<M>, op: Operation) => Promise<AgentResult<M>>;

interface ImageInfo {
  'virtual-size': number;
  format: string;
  snapshots?: { name: string }[];
}

/** qemu-img's view of the source; `-U` is harmless on a stopped VM's disk and needs no lock. */
async function imageInfo(path: string): Promise<ImageInfo> {
  try {
    const { stdout } = await run('qemu-img', ['info', '-U', '--output=json', path], { timeout: 60_000 });
    return JSON.parse(stdout) as ImageInfo;
  } catch (err) {
    throw new VireoError('NOT_FOUND', `Cannot read disk ${path}: ${(err as Error).message}`, { object: 'disk' });
  }
}

export function snapshotVolumeHandlers(deps: { hv: Hypervisor; logger: Logger; journal: Journal }): {
  [M in Method]: Handler<M>;
} {
  const { hv, logger, journal } = deps;
  return {
    async 'volume.fromSnapshot'({ pool, name, sourcePath, snapshot }, op) {
      const p = await hv.storage.pool(pool);
      if (!p || p.state !== 'running') {
        throw new VireoError('NOT_FOUND', `No running storage pool ${pool} on this host.`, { object: 'pool' });
      }
      await hv.storage.refreshPool(pool);
      const existing = await hv.storage.volume(pool, name);
      if (existing) {
        // Only a re-sent request whose first run finished finds it (names are fresh per export).
        if (existing.backingPath !== null || existing.format !== 'qcow2') {
          throw new VireoError('CONFLICT', `A volume named ${name} already exists in pool ${pool}.`, {
            object: 'volume',
          });
        }
        return { volume: { ...existing, usedBy: [], dependants: [] } };
      }
      const info = await imageInfo(sourcePath);
      if (info.format !== 'qcow2') {
        throw new VireoError('BAD_INPUT', `Disk ${sourcePath} is ${info.format}: only qcow2 disks hold snapshots.`, {
          object: 'disk',
        });
      }
      if (!(info.snapshots ?? []).some((s) => s.name === snapshot)) {
        throw new VireoError('NOT_FOUND', `Disk ${sourcePath} has no snapshot ${snapshot}.`, { object: 'snapshot' });
      }
      const t0 = performance.now();
      await journal.record({ key: op.key, kind: 'volume.make', volume: { pool, volume: name }, at: Date.now() });
      try {
        const made = await hv.storage.createVolume(pool, {
          name,
          format: 'qcow2',
          capacityBytes: info['virtual-size'],
        });
        // -n: into the volume libvirt made. The snapshot name passed the protocol's strict alphabet
        // (no comma), so it cannot add options to the -l string.
        await run(
          'qemu-img',
          [
            'convert',
            '-n',
            '--target-is-zero',
            '-O',
            'qcow2',
            '-l',
            `snapshot.name=${snapshot}`,
            sourcePath,
            made.path,
          ],
          {
            timeout: 3_600_000,
            maxBuffer: 1024 * 1024,
          },
        );
        await hv.storage.refreshPool(pool);
      } catch (err) {
        const left = await hv.storage.volume(pool, name).catch(() => null);
        if (left) await hv.storage.deleteVolume(pool, name).catch(() => undefined);
        if (!(await hv.storage.volume(pool, name).catch(() => null))) await journal.remove(op.key);
        if (VireoError.is(err)) throw err;
        throw new VireoError(
          'LIBVIRT_ERROR',
          `qemu-img could not export snapshot ${snapshot}: ${(err as Error).message}`,
          {
            object: 'volume',
          },
        );
      }
      await journal.remove(op.key);
      const volume = await hv.storage.volume(pool, name);
      if (!volume)
        throw new VireoError('NOT_FOUND', `Volume ${name} vanished from pool ${pool}.`, { object: 'volume' });
      logger.info('volume exported from a snapshot', {
        pool,
        name,
        sourcePath,
        snapshot,
        ms: Math.round(performance.now() - t0),
      });
      return { volume: { ...volume, usedBy: [], dependants: [] } };
    },
  };
}
