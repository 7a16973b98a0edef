/**
 * The image store's view of libvirt storage pools on this host, over the hypervisor's storage
 * facet: the pool's directory, and a refresh so libvirt lists a file that appeared in it.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { VireoError } from '@vireo/protocol';
import type { ImagePools } from './image-store.ts';

/** Pool types whose target is a directory of files, where an image can be written. */
const FILE_POOLS = new Set(['dir', 'fs', 'netfs']);

export function libvirtPools(hv: Pick<Hypervisor, 'storage'>): ImagePools {
  return {
    async targetPath(name) {
      const pool = await hv.storage.pool(name);
      if (!pool) throw new VireoError('NOT_FOUND', `No storage pool ${name} on this host.`, { object: 'pool' });
      if (!FILE_POOLS.has(pool.type))
        throw new VireoError('INVALID_STATE', `Pool ${name} is a ${pool.type} pool; images go to directory pools.`, {
          object: 'pool',
        });
      if (pool.state !== 'running')
        throw new VireoError('INVALID_STATE', `Pool ${name} is ${pool.state}; start it first.`, { object: 'pool' });
      return pool.path;
    },
    refresh: (name) => hv.storage.refreshPool(name),
  };
}
