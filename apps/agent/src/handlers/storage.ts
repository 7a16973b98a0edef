/**
 * Storage pool and volume requests. The guards are decided here, where the truth is: this agent
 * sees its host's domains and their disks. A volume is "in use" when a domain on this host has it
 * as a disk or anywhere in a disk's backing chain; a base has "dependants" when another volume's
 * backing chain contains it. Cluster pools are one shared directory, so a refreshed pool listing
 * on any host shows every clone made from any host; domains on other hosts are the manager's to
 * ask about.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Hypervisor, StorageVolumeInfo } from '@vireo/hypervisor';
import {
  type AgentParams,
  type AgentResult,
  type DomainInfo,
  type VolumeInfo,
  type VolumeUser,
  VireoError,
  type storageRequests,
} from '@vireo/protocol';
import type { FaultPoint } from '../config.ts';
import { qemuImgInfo } from '../image-checks.ts';
import type { Operation } from '../jobs.ts';
import type { Journal } from '../journal.ts';
import type { Logger } from '../logger.ts';

const run = promisify(execFile);

type StorageMethod = keyof typeof storageRequests;
type Handler<M extends StorageMethod> = (params: AgentParams<M>, op: Operation) => Promise<AgentResult<M>>;

export interface StorageDeps {
  hv: Hypervisor;
  logger: Logger;
  /** Volumes being made are journalled, so a killed agent's successor deletes them (jobs.ts). */
  journal: Journal;
  /** Tests only: see FAULT_POINTS. */
  fault?: (point: FaultPoint) => void;
}

/** Who uses what on this host: every pool volume, and every domain disk with its backing chain. */
interface Usage {
  volumes: StorageVolumeInfo[];
  /** path → domains using it (directly or through a backing chain). */
  users: Map<string, VolumeUser[]>;
  /** path → paths of volumes whose backing chain contains it. */
  dependants: Map<string, string[]>;
}

/**
 * The backing chain of a file outside every pool (e.g. a VM overlay in the VM storage dir), from
 * qemu-img. `-U`: a running QEMU holds a write lock on its disks; reading the header is safe.
 * Cached per file (path and inode): the page polls, and one spawn per VM disk each time would not
 * do on a host with a hundred VMs. Not by ctime, which a running guest's writes move constantly.
 * A file made anew at the same path has a new inode; an in-place `qemu-img rebase` done behind
 * Vireo's back is not seen until the agent restarts (Vireo itself never rebases).
 */
const chainCache = new Map<string, { ino: number; chain: string[] }>();

async function chainOfFile(path: string): Promise<string[]> {
  try {
    const { ino } = await stat(path);
    const cached = chainCache.get(path);
    if (cached?.ino === ino) return cached.chain;
    const { stdout } = await run('qemu-img', ['info', '-U', '--backing-chain', '--output=json', path], {
      timeout: 30_000,
    });
    const infos = JSON.parse(stdout) as { filename: string }[];
    const chain = infos.slice(1).map((i) => i.filename);
    if (chainCache.size > 10_000) chainCache.clear();
    chainCache.set(path, { ino, chain });
    return chain;
  } catch {
    return []; // unreadable or gone: it cannot pin anything we could tell
  }
}

/** Paths below `path` in its backing chain, from the pool volumes' own backing paths. */
function chainOf(path: string, byPath: Map<string, StorageVolumeInfo>): string[] | null {
  const chain: string[] = [];
  let next = byPath.get(path);
  if (!next) return null;
  while (next?.backingPath && !chain.includes(next.backingPath)) {
    chain.push(next.backingPath);
    next = byPath.get(next.backingPath);
    if (!next) break; // the chain leaves the pools; what is below is not a pool volume
  }
  return chain;
}

async function readUsage(hv: Hypervisor, domains: DomainInfo[], pools: string[]): Promise<Usage> {
  const volumes = (await Promise.all(pools.map((p) => hv.storage.listVolumes(p)))).flat();
  const byPath = new Map(volumes.map((v) => [v.path, v]));
  const users = new Map<string, VolumeUser[]>();
  const add = (path: string, user: VolumeUser) => users.set(path, [...(users.get(path) ?? []), user]);
  for (const d of domains) {
    const disks = await hv.domainDiskPaths(d.uuid).catch((err: unknown) => {
      if (VireoError.is(err, 'NOT_FOUND', 'vm')) return [] as string[]; // undefined meanwhile
      throw err;
    });
    for (const disk of disks) {
      add(disk, { uuid: d.uuid, name: d.name, state: d.state, via: 'disk' });
      const chain = chainOf(disk, byPath) ?? (await chainOfFile(disk));
      for (const p of chain) add(p, { uuid: d.uuid, name: d.name, state: d.state, via: 'backing' });
    }
  }
  const dependants = new Map<string, string[]>();
  for (const v of volumes) {
    for (const p of chainOf(v.path, byPath) ?? []) dependants.set(p, [...(dependants.get(p) ?? []), v.path]);
  }
  return { volumes, users, dependants };
}

async function runningPools(hv: Hypervisor): Promise<string[]> {
  return (await hv.storage.listPools()).filter((p) => p.state === 'running').map((p) => p.name);
}

function withUsage(v: StorageVolumeInfo, u: Usage): VolumeInfo {
  return { ...v, usedBy: u.users.get(v.path) ?? [], dependants: u.dependants.get(v.path) ?? [] };
}

/** Refreshing re-reads the directory (files written by other hosts or by qemu-img) and the figures. */
async function refresh(hv: Hypervisor, pool: string, logger: Logger): Promise<void> {
  try {
    await hv.storage.refreshPool(pool);
  } catch (err) {
    // libvirt refuses a refresh while a volume of the pool is being written (a full copy): the
    // figures are then those of the last refresh, which is still a true answer.
    if (!VireoError.is(err, 'INVALID_STATE')) throw err;
    logger.info('storage pool not refreshed (busy)', { pool, err });
  }
}

function describeUsers(users: VolumeUser[]): string {
  return users.map((u) => `${u.name} (${u.state}${u.via === 'backing' ? ', through a clone' : ''})`).join(', ');
}

export function createStorageHandlers(deps: StorageDeps): { [M in StorageMethod]: Handler<M> } {
  const { hv, logger, journal } = deps;
  const fault = deps.fault ?? (() => {});

  /**
   * Tests only: dies once libvirtd has begun the copy (its volume is listed while it is being
   * written), or just after, for a copy quicker than the polls.
   */
  async function copyBegun(pool: string, name: string, copy: Promise<unknown>): Promise<void> {
    let settled = false;
    void copy
      .finally(() => {
        settled = true;
      })
      .catch(() => undefined);
    while (!settled && !(await hv.storage.volume(pool, name).catch(() => null))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    fault('volume:during-copy');
  }

  /**
   * Makes a volume whose name was checked free, journalled while it is made: the journal entry
   * goes once the reply is ready (success) or the make failed (libvirt made nothing, or the
   * entry stays for the settler to clear what it left).
   */
  async function making<T>(op: Operation, pool: string, name: string, make: () => Promise<T>): Promise<T> {
    await journal.record({ key: op.key, kind: 'volume.make', volume: { pool, volume: name }, at: Date.now() });
    let made: T;
    try {
      made = await make();
    } catch (err) {
      if (!(await hv.storage.volume(pool, name).catch(() => null))) await journal.remove(op.key);
      throw err;
    }
    fault('volume:after-make');
    await journal.remove(op.key);
    return made;
  }

  async function usageNow(): Promise<Usage> {
    return readUsage(hv, await hv.listDomains(), await runningPools(hv));
  }

  async function volumeInfo(v: StorageVolumeInfo): Promise<VolumeInfo> {
    return withUsage(v, await usageNow());
  }

  async function needPool(name: string): Promise<void> {
    const pool = await hv.storage.pool(name);
    if (!pool) throw new VireoError('NOT_FOUND', `No storage pool ${name} on this host.`, { object: 'pool' });
    if (pool.state !== 'running') {
      throw new VireoError('INVALID_STATE', `Storage pool ${name} is ${pool.state} on this host.`, { object: 'pool' });
    }
    await refresh(hv, name, logger);
  }

  /** A re-sent create whose first run succeeded finds its volume: the same one is success. */
  async function sameOrConflict(pool: string, name: string, same: (v: StorageVolumeInfo) => boolean) {
    const existing = await hv.storage.volume(pool, name);
    if (!existing) return null;
    if (same(existing)) return volumeInfo(existing);
    throw new VireoError('CONFLICT', `A volume named ${name} already exists in pool ${pool}.`, { object: 'volume' });
  }

  return {
    async 'pool.list'({ name }) {
      const all = await hv.storage.listPools();
      const pools = all.filter((p) => name === undefined || p.name === name);
      for (const p of pools) if (p.state === 'running') await refresh(hv, p.name, logger);
      const running = pools.filter((p) => p.state === 'running').map((p) => p.name);
      const usage = await readUsage(
        hv,
        await hv.listDomains(),
        all.filter((p) => p.state === 'running').map((p) => p.name),
      );
      const fresh = await hv.storage.listPools(); // figures as of the refresh
      return {
        pools: fresh
          .filter((p) => pools.some((q) => q.name === p.name))
          .map((p) => ({
            ...p,
            volumes: running.includes(p.name)
              ? usage.volumes.filter((v) => v.pool === p.name).map((v) => withUsage(v, usage))
              : null,
          })),
      };
    },

    async 'pool.ensure'({ name, path }) {
      return { pool: await hv.storage.ensureDirPool({ name, path }) };
    },

    async 'pool.remove'({ name }) {
      const pool = await hv.storage.pool(name);
      if (!pool) return {}; // gone already
      if (pool.state === 'running') {
        await refresh(hv, name, logger);
        const usage = await usageNow();
        const busy = usage.volumes.filter((v) => v.pool === name && (usage.users.get(v.path)?.length ?? 0) > 0);
        if (busy.length > 0) {
          const list = busy.map((v) => `${v.name} by ${describeUsers(usage.users.get(v.path) ?? [])}`).join('; ');
          throw new VireoError('CONFLICT', `Storage pool ${name} has volumes in use on this host: ${list}.`, {
            object: 'pool',
          });
        }
      }
      await hv.storage.removePool(name);
      return {};
    },

    async 'volume.create'({ pool, name, format, capacityBytes }, op) {
      await needPool(pool);
      const same = await sameOrConflict(
        pool,
        name,
        (v) => v.format === format && v.capacityBytes === capacityBytes && v.backingPath === null,
      );
      if (same) return { volume: same };
      const volume = await making(op, pool, name, () => hv.storage.createVolume(pool, { name, format, capacityBytes }));
      logger.info('volume created', { pool, name, format, capacityBytes });
      return { volume: await volumeInfo(volume) };
    },

    async 'volume.clone'({ pool, name, sourcePath, mode, format }, op) {
      const t0 = performance.now();
      await needPool(pool);
      const linked = mode === 'linked';
      const same = await sameOrConflict(pool, name, (v) =>
        linked ? v.backingPath === sourcePath : v.format === format && v.backingPath === null,
      );
      if (same) return { volume: same };
      const t1 = performance.now();
      const volume = await making(op, pool, name, async () => {
        if (linked) return hv.storage.cloneVolume(pool, { name, basePath: sourcePath });
        const copy = hv.storage.copyVolume(pool, { name, sourcePath, format }, (done, total) =>
          op.progress(total > 0 ? Math.min(99, Math.round((done / total) * 100)) : 0, 'copying'),
        );
        if (deps.fault) await copyBegun(pool, name, copy);
        return copy;
      });
      const t2 = performance.now();
      const info = await volumeInfo(volume);
      // Where a clone's time goes (issue 6's copy benchmark): checks, libvirt's copy, the usage read.
      const ms = (a: number, b: number) => Math.round(b - a);
      logger.info('volume cloned', {
        pool,
        name,
        sourcePath,
        mode,
        ms: { check: ms(t0, t1), copy: ms(t1, t2), usage: ms(t2, performance.now()) },
      });
      return { volume: info };
    },

    async 'volume.resize'({ pool, name, capacityBytes }) {
      await needPool(pool);
      const vol = await hv.storage.volume(pool, name);
      if (!vol) throw new VireoError('NOT_FOUND', `No volume ${name} in pool ${pool}.`, { object: 'volume' });
      const usage = await usageNow();
      // qemu-img resize under a running QEMU would corrupt the image (QEMU also locks it).
      const running = (usage.users.get(vol.path) ?? []).filter((u) => u.via === 'disk' && u.state !== 'shutoff');
      if (running.length > 0) {
        throw new VireoError(
          'INVALID_STATE',
          `Volume ${name} is a disk of ${describeUsers(running)}; shut the VM down to resize it.`,
          { object: 'volume' },
        );
      }
      if (vol.capacityBytes === capacityBytes) return { volume: withUsage(vol, usage) }; // re-sent
      const volume = await hv.storage.resizeVolume(pool, name, capacityBytes);
      logger.info('volume resized', { pool, name, capacityBytes });
      return { volume: withUsage(volume, usage) };
    },

    async 'disk.virtualSize'({ volumes, paths }) {
      let bytes = 0;
      for (const { pool, name } of volumes) {
        const vol = await hv.storage.volume(pool, name);
        if (!vol)
          throw new VireoError('NOT_FOUND', `No volume ${name} in pool ${pool} on this host.`, { object: 'volume' });
        bytes += vol.capacityBytes;
      }
      // A kernel template's base is a file outside the pools: qemu-img reads its virtual size.
      for (const path of paths) bytes += (await qemuImgInfo(path))['virtual-size'] ?? 0;
      return { bytes };
    },

    async 'volume.delete'({ pool, name }) {
      await needPool(pool);
      const vol = await hv.storage.volume(pool, name);
      if (!vol) return {}; // gone already: a re-sent delete, or another host sharing the dir
      const usage = await usageNow();
      const users = usage.users.get(vol.path) ?? [];
      if (users.length > 0) {
        throw new VireoError('CONFLICT', `Volume ${name} is in use on this host by ${describeUsers(users)}.`, {
          object: 'volume',
        });
      }
      const dependants = usage.dependants.get(vol.path) ?? [];
      if (dependants.length > 0) {
        throw new VireoError(
          'CONFLICT',
          `Volume ${name} is the base of ${dependants.length} linked clone(s) (${dependants.join(', ')}); delete them first.`,
          { object: 'volume' },
        );
      }
      await hv.storage.deleteVolume(pool, name);
      logger.info('volume deleted', { pool, name });
      return {};
    },
  };
}
