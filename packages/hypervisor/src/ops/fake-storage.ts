/**
 * In-memory storage pools and volumes for the FakeHypervisor (unit tests, scale runs only): the
 * same refusals as libvirt where the agent can tell (unknown pool/volume, name taken, a clone's
 * base must be a volume), thin allocation (a new volume allocates 196 KiB, like a qcow2 header).
 */
import { VireoError } from '@vireo/protocol';
import type { StorageOps, StoragePoolInfo, StorageVolumeInfo, VolumeCreate, VolumeFormat } from './storage.ts';

const GIB = 1024 ** 3;
const HEADER_BYTES = 196 * 1024;

interface FakePool {
  info: StoragePoolInfo;
  volumes: Map<string, StorageVolumeInfo>;
}

export class FakeStorage implements StorageOps {
  private readonly pools = new Map<string, FakePool>();

  private need(name: string): FakePool {
    const p = this.pools.get(name);
    if (!p)
      throw new VireoError('NOT_FOUND', `The storage pool ${name} does not exist on this host.`, { object: 'pool' });
    return p;
  }
  private needVolume(pool: string, name: string): StorageVolumeInfo {
    const v = this.need(pool).volumes.get(name);
    if (!v) throw new VireoError('NOT_FOUND', `The volume ${name} does not exist in ${pool}.`, { object: 'volume' });
    return v;
  }
  private figures(p: FakePool): StoragePoolInfo {
    const allocation = [...p.volumes.values()].reduce((n, v) => n + v.allocationBytes, 0);
    return { ...p.info, allocationBytes: allocation, availableBytes: p.info.capacityBytes - allocation };
  }
  private add(pool: string, v: Omit<StorageVolumeInfo, 'pool' | 'path'>): StorageVolumeInfo {
    const p = this.need(pool);
    if (p.volumes.has(v.name)) {
      throw new VireoError('CONFLICT', `A volume named ${v.name} already exists in ${pool}.`, { object: 'volume' });
    }
    const vol = { ...v, pool, path: `${p.info.path}/${v.name}` };
    p.volumes.set(v.name, vol);
    return { ...vol };
  }

  async listPools(): Promise<StoragePoolInfo[]> {
    return [...this.pools.values()].map((p) => this.figures(p));
  }
  async pool(name: string): Promise<StoragePoolInfo | null> {
    const p = this.pools.get(name);
    return p ? this.figures(p) : null;
  }
  async ensureDirPool(p: { name: string; path: string }): Promise<StoragePoolInfo> {
    const existing = this.pools.get(p.name);
    if (existing && existing.info.path !== p.path) {
      throw new VireoError('CONFLICT', `Storage pool ${p.name} already exists with another directory.`, {
        object: 'pool',
      });
    }
    if (!existing) {
      const info: StoragePoolInfo = {
        name: p.name,
        uuid: crypto.randomUUID(),
        type: 'dir',
        state: 'running',
        path: p.path,
        capacityBytes: 100 * GIB,
        allocationBytes: 0,
        availableBytes: 100 * GIB,
        autostart: true,
        persistent: true,
      };
      this.pools.set(p.name, { info, volumes: new Map() });
    }
    return this.figures(this.need(p.name));
  }
  async removePool(name: string): Promise<void> {
    this.need(name);
    this.pools.delete(name);
  }
  async refreshPool(name: string): Promise<void> {
    this.need(name);
  }
  async listVolumes(pool: string): Promise<StorageVolumeInfo[]> {
    return [...this.need(pool).volumes.values()].map((v) => ({ ...v }));
  }
  async volume(pool: string, name: string): Promise<StorageVolumeInfo | null> {
    const v = this.need(pool).volumes.get(name);
    return v ? { ...v } : null;
  }
  async volumeByPath(path: string): Promise<StorageVolumeInfo | null> {
    for (const p of this.pools.values()) {
      for (const v of p.volumes.values()) if (v.path === path) return { ...v };
    }
    return null;
  }
  async createVolume(pool: string, v: VolumeCreate): Promise<StorageVolumeInfo> {
    return this.add(pool, { ...v, allocationBytes: HEADER_BYTES, backingPath: null });
  }
  async cloneVolume(pool: string, v: { name: string; basePath: string }): Promise<StorageVolumeInfo> {
    const base = await this.volumeByPath(v.basePath);
    if (!base) throw new VireoError('NOT_FOUND', `The base volume ${v.basePath} does not exist.`, { object: 'volume' });
    return this.add(pool, {
      name: v.name,
      format: 'qcow2',
      capacityBytes: base.capacityBytes,
      allocationBytes: HEADER_BYTES,
      backingPath: base.path,
    });
  }
  async copyVolume(
    pool: string,
    v: { name: string; sourcePath: string; format: VolumeFormat },
    onProgress?: (copiedBytes: number, totalBytes: number) => void,
  ): Promise<StorageVolumeInfo> {
    const src = await this.volumeByPath(v.sourcePath);
    if (!src) throw new VireoError('NOT_FOUND', `The volume ${v.sourcePath} does not exist.`, { object: 'volume' });
    onProgress?.(src.allocationBytes, src.allocationBytes);
    return this.add(pool, { ...src, name: v.name, format: v.format, backingPath: null });
  }
  async resizeVolume(pool: string, name: string, capacityBytes: number): Promise<StorageVolumeInfo> {
    const v = this.needVolume(pool, name);
    if (capacityBytes < v.capacityBytes) {
      throw new VireoError('BAD_INPUT', `Volume ${name} can only grow.`, { object: 'volume' });
    }
    v.capacityBytes = capacityBytes;
    return { ...v };
  }
  async deleteVolume(pool: string, name: string): Promise<void> {
    this.needVolume(pool, name);
    this.need(pool).volumes.delete(name);
  }
}
