/**
 * Storage facet (`hv.storage`): libvirt storage pools and volumes through libvirt-dbus
 * (org.libvirt.StoragePool / StorageVol, Connect.ListStoragePools …; libvirt-dbus 1.4.1).
 *
 * API, all sizes in bytes:
 *   listPools()                         every pool this host's libvirt knows, active or not
 *   pool(name)                          one pool, or null
 *   ensureDirPool({ name, path })       define + build (mkdir) + start + autostart a `dir` pool;
 *                                       idempotent: an existing pool of that name and path is
 *                                       started/autostarted if it is not; another path → CONFLICT
 *   removePool(name)                    destroy + undefine; the directory and its files stay
 *   refreshPool(name)                   re-read the directory (files made outside libvirt, figures)
 *   listVolumes(pool)                   volumes of an active pool
 *   volume(pool, name) / volumeByPath(path)   one volume, or null
 *   createVolume(pool, { name, format, capacityBytes })            blank, thin
 *   cloneVolume(pool, { name, basePath })   linked clone: qcow2 whose <backingStore> is basePath;
 *                                       same virtual size as the base; the base is only read
 *   copyVolume(pool, { name, sourcePath, format }, onProgress?)   full copy (any format → format)
 *   resizeVolume(pool, name, capacityBytes)   grow only
 *   deleteVolume(pool, name)
 * Refusals: NOT_FOUND (object 'pool' | 'volume'), CONFLICT (name taken), INVALID_STATE (pool not
 * active), STORAGE_NO_SPACE / STORAGE_PERMISSION_DENIED, BAD_INPUT; all with libvirt's message.
 * This facet does not guard against deleting a volume in use: the caller (the agent) knows the
 * domains and decides.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { VireoError } from '@vireo/protocol';
import type { LibvirtCallFn } from '../libvirt-call.ts';
import { validateXml } from '../validate-xml.ts';
import {
  type ParsedVolumeXml,
  type VolumeFormat,
  buildDirPoolXml,
  buildVolumeXml,
  parsePoolXml,
  parseVolumeXml,
} from './storage-xml.ts';

export type { VolumeFormat } from './storage-xml.ts';

export type PoolState = 'inactive' | 'building' | 'running' | 'degraded' | 'inaccessible';

export interface StoragePoolInfo {
  name: string;
  uuid: string;
  /** libvirt's pool type: dir, fs, netfs, logical, ... (Vireo creates only dir). */
  type: string;
  state: PoolState;
  /** The pool's directory. */
  path: string;
  /** Filesystem size, used, and free for new allocations; as of the pool's last refresh. */
  capacityBytes: number;
  allocationBytes: number;
  availableBytes: number;
  autostart: boolean;
  persistent: boolean;
}

export interface StorageVolumeInfo extends ParsedVolumeXml {
  pool: string;
}

export interface VolumeCreate {
  name: string;
  format: VolumeFormat;
  capacityBytes: number;
}

export interface StorageOps {
  listPools(): Promise<StoragePoolInfo[]>;
  pool(name: string): Promise<StoragePoolInfo | null>;
  ensureDirPool(p: { name: string; path: string }): Promise<StoragePoolInfo>;
  removePool(name: string): Promise<void>;
  refreshPool(name: string): Promise<void>;
  listVolumes(pool: string): Promise<StorageVolumeInfo[]>;
  volume(pool: string, name: string): Promise<StorageVolumeInfo | null>;
  volumeByPath(path: string): Promise<StorageVolumeInfo | null>;
  createVolume(pool: string, v: VolumeCreate): Promise<StorageVolumeInfo>;
  cloneVolume(pool: string, v: { name: string; basePath: string }): Promise<StorageVolumeInfo>;
  copyVolume(
    pool: string,
    v: { name: string; sourcePath: string; format: VolumeFormat },
    onProgress?: (copiedBytes: number, totalBytes: number) => void,
  ): Promise<StorageVolumeInfo>;
  resizeVolume(pool: string, name: string, capacityBytes: number): Promise<StorageVolumeInfo>;
  deleteVolume(pool: string, name: string): Promise<void>;
}

const POOL = 'org.libvirt.StoragePool';
const VOL = 'org.libvirt.StorageVol';
const CONNECT = 'org.libvirt.Connect';
const PROPS = 'org.freedesktop.DBus.Properties';

/** virStoragePoolState, https://libvirt.org/html/libvirt-libvirt-storage.html#virStoragePoolState */
const POOL_STATES: PoolState[] = ['inactive', 'building', 'running', 'degraded', 'inaccessible'];
/** virStorageVolResizeFlags: VIR_STORAGE_VOL_RESIZE_SHRINK is never passed, so libvirt refuses shrinking. */
const RESIZE_GROW = 0;
/** A full copy of a large disk can take long; the default call timeout (60 s) is for quick calls. */
const COPY_TIMEOUT_MS = 60 * 60_000;

/**
 * libvirt checks a pool's XML against its own RNG schema (the one virt-xml-validate uses) when
 * asked: VIR_STORAGE_POOL_DEFINE_VALIDATE (virsh's `pool-define --validate`). A refusal is "XML
 * document failed to validate against schema: …", which wrapLibvirtError makes BAD_INPUT.
 * Volumes cannot: libvirt 9.0 refuses VIR_STORAGE_VOL_CREATE_VALIDATE on valid XML ("unsupported
 * flags (0x4) in function virStorageVolDefParseXML", `virsh vol-create --validate` too), so their
 * XML goes through validateXml (one long-lived xmllint, no spawn per call).
 */
const POOL_DEFINE_VALIDATE = 1 << 0;

function unwrap(v: unknown): unknown {
  while (v instanceof dbus.Variant) v = v.value;
  return v;
}

export class LibvirtStorage implements StorageOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  private connectCall(method: string, signature: string, args: unknown[], what: string) {
    return this.call(this.connectPath, CONNECT, method, signature, args, what);
  }

  // ---- pools ---------------------------------------------------------------------------------

  private async poolPath(name: string): Promise<string> {
    const [path] = await this.connectCall('StoragePoolLookupByName', 's', [name], `find storage pool ${name}`);
    return path as string;
  }

  private async poolInfoAt(path: string): Promise<StoragePoolInfo> {
    const what = 'read a storage pool';
    const [[info], [xml], [props]] = await Promise.all([
      this.call(path, POOL, 'GetInfo', '', [], what),
      this.call(path, POOL, 'GetXMLDesc', 'u', [0], what),
      this.call(path, PROPS, 'GetAll', 's', [POOL], what),
    ]);
    const [state, capacity, allocation, available] = info as [number, bigint, bigint, bigint];
    const parsed = parsePoolXml(xml as string);
    const p = props as Record<string, unknown>;
    return {
      ...parsed,
      state: POOL_STATES[state] ?? 'inaccessible',
      capacityBytes: Number(capacity),
      allocationBytes: Number(allocation),
      availableBytes: Number(available),
      autostart: Boolean(unwrap(p.Autostart)),
      persistent: Boolean(unwrap(p.Persistent)),
    };
  }

  async listPools(): Promise<StoragePoolInfo[]> {
    const [paths] = await this.connectCall('ListStoragePools', 'u', [0], 'list storage pools');
    const pools = await Promise.all(
      (paths as string[]).map((p) =>
        // A pool undefined between the list and the read is simply gone.
        this.poolInfoAt(p).catch((err) => (VireoError.is(err, 'NOT_FOUND') ? null : Promise.reject(err))),
      ),
    );
    return pools.filter((p): p is StoragePoolInfo => p !== null);
  }

  async pool(name: string): Promise<StoragePoolInfo | null> {
    try {
      return await this.poolInfoAt(await this.poolPath(name));
    } catch (err) {
      if (VireoError.is(err, 'NOT_FOUND', 'pool')) return null;
      throw err;
    }
  }

  async ensureDirPool(p: { name: string; path: string }): Promise<StoragePoolInfo> {
    const what = `set up storage pool ${p.name}`;
    let existing = await this.pool(p.name);
    if (existing && existing.path !== p.path) {
      throw new VireoError(
        'CONFLICT',
        `Storage pool ${p.name} already exists on this host with directory ${existing.path}, not ${p.path}.`,
        { object: 'pool' },
      );
    }
    let path: string;
    if (!existing) {
      const xml = buildDirPoolXml(p);
      [path] = (await this.connectCall(
        'StoragePoolDefineXML',
        'su',
        [xml, POOL_DEFINE_VALIDATE],
        `define storage pool ${p.name}`,
      )) as [string];
      // Build = mkdir -p of the target (no-op when it exists; flags 0 never overwrites).
      await this.call(path, POOL, 'Build', 'u', [0], what);
      existing = await this.poolInfoAt(path);
    } else {
      path = await this.poolPath(p.name);
    }
    if (existing.state !== 'running') await this.call(path, POOL, 'Create', 'u', [0], what);
    if (!existing.autostart && existing.persistent) {
      await this.call(path, PROPS, 'Set', 'ssv', [POOL, 'Autostart', new dbus.Variant('b', true)], what);
    }
    return this.poolInfoAt(path);
  }

  async removePool(name: string): Promise<void> {
    const path = await this.poolPath(name);
    const info = await this.poolInfoAt(path);
    if (info.state !== 'inactive') await this.call(path, POOL, 'Destroy', '', [], `stop storage pool ${name}`);
    if (info.persistent) await this.call(path, POOL, 'Undefine', '', [], `undefine storage pool ${name}`);
  }

  async refreshPool(name: string): Promise<void> {
    await this.call(await this.poolPath(name), POOL, 'Refresh', 'u', [0], `refresh storage pool ${name}`);
  }

  // ---- volumes -------------------------------------------------------------------------------

  private async volumeAt(path: string, pool: string): Promise<StorageVolumeInfo> {
    const [xml] = await this.call(path, VOL, 'GetXMLDesc', 'u', [0], 'read a volume');
    return { ...parseVolumeXml(xml as string), pool };
  }

  private async volumePath(pool: string, name: string): Promise<string> {
    const [path] = await this.call(
      await this.poolPath(pool),
      POOL,
      'StorageVolLookupByName',
      's',
      [name],
      `find volume ${name} in pool ${pool}`,
    );
    return path as string;
  }

  async listVolumes(pool: string): Promise<StorageVolumeInfo[]> {
    const [paths] = await this.call(
      await this.poolPath(pool),
      POOL,
      'ListStorageVolumes',
      'u',
      [0],
      `list volumes of ${pool}`,
    );
    const vols = await Promise.all(
      (paths as string[]).map((p) =>
        this.volumeAt(p, pool).catch((err) => (VireoError.is(err, 'NOT_FOUND') ? null : Promise.reject(err))),
      ),
    );
    return vols.filter((v): v is StorageVolumeInfo => v !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  async volume(pool: string, name: string): Promise<StorageVolumeInfo | null> {
    try {
      return await this.volumeAt(await this.volumePath(pool, name), pool);
    } catch (err) {
      if (VireoError.is(err, 'NOT_FOUND', 'volume')) return null;
      throw err;
    }
  }

  async volumeByPath(path: string): Promise<StorageVolumeInfo | null> {
    try {
      const [obj] = await this.connectCall('StorageVolLookupByPath', 's', [path], `find volume ${path}`);
      const vol = await this.volumeAt(obj as string, '');
      return { ...vol, pool: (await this.poolOfDir(path)) ?? '' };
    } catch (err) {
      if (VireoError.is(err, 'NOT_FOUND', 'volume')) return null;
      throw err;
    }
  }

  /** libvirt-dbus 1.4.1 has no StorageVol → pool call; dir pools are found by directory. */
  private async poolOfDir(volPath: string): Promise<string | null> {
    const dir = volPath.slice(0, volPath.lastIndexOf('/')) || '/';
    return (await this.listPools()).find((p) => p.path === dir)?.name ?? null;
  }

  private async createFromXml(pool: string, xml: string, what: string): Promise<StorageVolumeInfo> {
    const [poolObj] = await Promise.all([this.poolPath(pool), validateXml(xml, 'storagevol')]);
    const [obj] = await this.call(poolObj, POOL, 'StorageVolCreateXML', 'su', [xml, 0], what);
    return this.volumeAt(obj as string, pool);
  }

  createVolume(pool: string, v: VolumeCreate): Promise<StorageVolumeInfo> {
    return this.createFromXml(pool, buildVolumeXml(v), `create volume ${v.name} in pool ${pool}`);
  }

  async cloneVolume(pool: string, v: { name: string; basePath: string }): Promise<StorageVolumeInfo> {
    const base = await this.requireVolumeByPath(v.basePath, 'base volume');
    const xml = buildVolumeXml({
      name: v.name,
      format: 'qcow2',
      capacityBytes: base.capacityBytes,
      backing: { path: base.path, format: base.format || 'raw' },
    });
    return this.createFromXml(pool, xml, `create linked clone ${v.name} of ${base.path}`);
  }

  async copyVolume(
    pool: string,
    v: { name: string; sourcePath: string; format: VolumeFormat },
    onProgress?: (copiedBytes: number, totalBytes: number) => void,
  ): Promise<StorageVolumeInfo> {
    const what = `copy ${v.sourcePath} to volume ${v.name} in pool ${pool}`;
    // The source's key and XML and the target pool's directory are independent reads: at once.
    const sourceObj = this.connectCall('StorageVolLookupByPath', 's', [v.sourcePath], what).then(
      ([obj]) => obj as string,
    );
    const poolObj = this.poolPath(pool);
    sourceObj.catch(() => {});
    poolObj.catch(() => {});
    const [[key], source, target] = await Promise.all([
      sourceObj.then((obj) => this.call(obj, PROPS, 'Get', 'ss', [VOL, 'Key'], what)),
      sourceObj.then((obj) => this.volumeAt(obj, '')),
      poolObj.then(async (obj) => ({ obj, dir: onProgress ? (await this.poolInfoAt(obj)).path : '' })),
    ]);
    const xml = buildVolumeXml({ name: v.name, format: v.format, capacityBytes: source.capacityBytes });
    await validateXml(xml, 'storagevol');
    // libvirt-dbus reports no progress for CreateXMLFrom: watch the new file grow instead.
    const stopWatch = onProgress ? watchGrowth(join(target.dir, v.name), source.allocationBytes, onProgress) : () => {};
    try {
      const [obj] = await this.call(
        target.obj,
        POOL,
        'StorageVolCreateXMLFrom',
        'ssu',
        [xml, unwrap(key) as string, 0],
        what,
        COPY_TIMEOUT_MS,
      );
      return await this.volumeAt(obj as string, pool);
    } finally {
      stopWatch();
    }
  }

  async resizeVolume(pool: string, name: string, capacityBytes: number): Promise<StorageVolumeInfo> {
    const path = await this.volumePath(pool, name);
    const current = await this.volumeAt(path, pool);
    if (capacityBytes < current.capacityBytes) {
      throw new VireoError(
        'BAD_INPUT',
        `Volume ${name} can only grow: it is ${current.capacityBytes} bytes, asked for ${capacityBytes}.`,
        { object: 'volume' },
      );
    }
    await this.call(path, VOL, 'Resize', 'tu', [BigInt(capacityBytes), RESIZE_GROW], `resize volume ${name}`);
    return this.volumeAt(path, pool);
  }

  async deleteVolume(pool: string, name: string): Promise<void> {
    const path = await this.volumePath(pool, name);
    await this.call(path, VOL, 'Delete', 'u', [0], `delete volume ${name} in pool ${pool}`);
  }

  private async requireVolumeByPath(path: string, label: string): Promise<StorageVolumeInfo> {
    const vol = await this.volumeByPath(path);
    if (!vol) {
      throw new VireoError('NOT_FOUND', `The ${label} ${path} is not a volume of any storage pool on this host.`, {
        object: 'volume',
      });
    }
    return vol;
  }
}

/** Reports a growing file's allocated bytes every second until stopped. */
function watchGrowth(path: string, totalBytes: number, report: (done: number, total: number) => void): () => void {
  const timer = setInterval(() => {
    stat(path).then(
      (s) => report(Math.min(s.blocks * 512, totalBytes), totalBytes),
      () => {}, // not created yet
    );
  }, 1000);
  return () => clearInterval(timer);
}
