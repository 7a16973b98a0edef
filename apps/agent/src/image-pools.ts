/**
 * The image store's view of libvirt storage pools on this host.
 * TEMPORARY: reads the pool through virsh until the hypervisor's storage facet (hv.storage,
 * branch i6-storage) is merged; then this becomes a thin adapter over it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { VireoError } from '@vireo/protocol';
import type { ImagePools } from './image-store.ts';

const run = promisify(execFile);

export function libvirtPools(): ImagePools {
  const virsh = async (...args: string[]) => {
    try {
      return (await run('virsh', ['-q', '-c', 'qemu:///system', ...args], { timeout: 30_000 })).stdout;
    } catch (err) {
      const text = ((err as { stderr?: string }).stderr ?? String(err)).trim();
      if (/Storage pool not found|no storage pool with matching name/i.test(text))
        throw new VireoError('NOT_FOUND', `No storage pool ${args.at(-1)} on this host.`, { object: 'image' });
      throw new VireoError('LIBVIRT_ERROR', text, { libvirt: { message: text } });
    }
  };
  return {
    async targetPath(pool) {
      const xml = await virsh('pool-dumpxml', pool);
      if (!/<pool type=['"](dir|fs|netfs)['"]/.test(xml))
        throw new VireoError('INVALID_STATE', `Pool ${pool} is not a directory pool; images go to directory pools.`, {
          object: 'image',
        });
      const path = /<target>\s*<path>([^<]+)<\/path>/.exec(xml)?.[1];
      if (!path) throw new VireoError('INVALID_STATE', `Pool ${pool} has no target path.`, { object: 'image' });
      return path;
    },
    async refresh(pool) {
      await virsh('pool-refresh', pool);
    },
  };
}
