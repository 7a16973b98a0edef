/**
 * Storage pools: the database says which pools should exist (name, directory, a host or a
 * cluster); each host's libvirt holds them, applied through its agent. A cluster pool is one
 * shared directory under the same name on every host of the cluster, so any of its hosts reads
 * the same volumes; who *uses* a volume is per host (its domains), so that is asked of each.
 *
 * Applied: at creation on every online host concerned, and again whenever a host connects
 * (`applyPoolsOnConnect`, called by agent-hub), so a host that was offline or reinstalled
 * catches up. `pool.ensure` is idempotent, so re-applying costs one look-up per pool.
 */
import {
  DbConflictError,
  type HostView,
  type InfraScope,
  type StoragePoolRecord,
  hosts,
  storagePools,
} from '@vireo/db';
import { type AgentResult, type PoolInfo, type VolumeInfo, VireoError, toErrorPayload } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import { hostAgent } from './agent-router.ts';
import type { PermissionUser } from './permissions/can.ts';
import { infraVisibility, publishedVisibility } from './permissions/visibility.ts';

export const DEFAULT_POOL = 'default';

/** A pool as one host's libvirt reports it, or why it could not be read. */
export interface PoolOnHost {
  hostId: string;
  hostName: string;
  status: HostView['status'];
  /** null: not defined there (yet), or the host could not be asked. */
  libvirt: PoolInfo | null;
  error: string | null;
}

export interface VolumeUserView {
  hostId: string;
  hostName: string;
  uuid: string;
  name: string;
  state: string;
  via: 'disk' | 'backing';
}

export type VolumeView = Omit<VolumeInfo, 'usedBy'> & { usedBy: VolumeUserView[] };

export interface PoolView extends Omit<StoragePoolRecord, 'createdAt'> {
  createdAt: string;
  /** Where it applies: the host's or the cluster's name. */
  scopeName: string;
  hosts: PoolOnHost[];
  /** Read on one online host (a cluster pool's directory is shared); null when none could. */
  volumes: VolumeView[] | null;
}

/** Hosts a pool applies to. */
export function hostsOf(pool: StoragePoolRecord, all: HostView[]): HostView[] {
  return all.filter((h) => (pool.scope === 'cluster' ? h.clusterId === pool.clusterId : h.id === pool.hostId));
}

type HostPools = AgentResult<'pool.list'>['pools'];

/** Every online host's pools (one request each, in parallel); errors per host, never thrown. */
export async function readHosts(list: HostView[], name?: string) {
  return Promise.all(
    list.map(async (h) => {
      if (h.status !== 'online') return { host: h, pools: null as HostPools | null, error: 'host offline' };
      try {
        const agent = await hostAgent(h.id, h.name);
        const res = await agent.request('pool.list', name ? { name } : {}, { timeoutMs: 60_000 });
        return { host: h, pools: res.pools, error: null };
      } catch (err) {
        return { host: h, pools: null, error: toErrorPayload(err).message };
      }
    }),
  );
}

/**
 * The pools a user may see (publishedVisibility: a project member, those published to its
 * projects), each with only the hosts it may see (infraVisibility: none for a member, so no host
 * name reaches it and no host is asked); the volumes (every user's disks) for full views only.
 */
export async function listPoolsFor(user: PermissionUser): Promise<PoolView[]> {
  const [visible, infra] = await Promise.all([publishedVisibility(user, 'pool'), infraVisibility(user)]);
  return listPools({ ...('ids' in visible ? { ids: visible.ids } : {}), hosts: infra, volumes: 'all' in infra });
}

/** Pools with live figures per host and their volumes (who uses each, on every host). */
export async function listPools(
  scope: { ids?: string[]; hosts?: InfraScope; volumes: boolean } = { volumes: true },
): Promise<PoolView[]> {
  const [pools, allHosts] = await Promise.all([
    storagePools.list(scope.ids ? { ids: scope.ids } : {}),
    hosts.list(scope.hosts ? { visibleTo: scope.hosts } : {}),
  ]);
  const reads = await readHosts(allHosts.filter((h) => pools.some((p) => hostsOf(p, [h]).length > 0)));
  return pools.map((pool) => {
    const mine = reads.filter((r) => hostsOf(pool, [r.host]).length > 0);
    const onHosts: PoolOnHost[] = mine.map((r) => {
      const found = r.pools?.find((p) => p.name === pool.name);
      let libvirt: PoolInfo | null = null;
      if (found) {
        const { volumes: _, ...info } = found;
        libvirt = info;
      }
      return {
        hostId: r.host.id,
        hostName: r.host.name,
        status: r.host.status,
        libvirt,
        error: r.error ?? (found ? null : 'not defined on this host'),
      };
    });
    const scopeName =
      pool.scope === 'cluster'
        ? (allHosts.find((h) => h.clusterId === pool.clusterId)?.clusterName ?? 'cluster')
        : (allHosts.find((h) => h.id === pool.hostId)?.name ?? 'host');
    const createdAt = pool.createdAt.toISOString();
    const volumes = scope.volumes ? mergeVolumes(pool.name, mine) : null;
    return { ...pool, createdAt, scopeName, hosts: onHosts, volumes };
  });
}

/**
 * The volume list of the first host that read it (a cluster pool's directory is shared), with the
 * users and dependants every host reported (a clone may sit in another host's own pool).
 */
function mergeVolumes(name: string, reads: { host: HostView; pools: HostPools | null }[]): VolumeView[] | null {
  const lists = reads.flatMap((r) => {
    const vols = r.pools?.find((p) => p.name === name)?.volumes;
    return vols ? [{ host: r.host, vols }] : [];
  });
  const first = lists[0];
  if (!first) return null;
  return first.vols.map((v) => ({
    ...v,
    dependants: [...new Set(lists.flatMap(({ vols }) => vols.find((o) => o.path === v.path)?.dependants ?? []))],
    usedBy: lists.flatMap(({ host, vols }) =>
      (vols.find((o) => o.path === v.path)?.usedBy ?? []).map((u) => ({ ...u, hostId: host.id, hostName: host.name })),
    ),
  }));
}

/** Clusters with their hosts, for choosing where a new pool goes. */
export async function poolTargets(): Promise<{ id: string; name: string; hosts: { id: string; name: string }[] }[]> {
  const byCluster = new Map<string, { id: string; name: string; hosts: { id: string; name: string }[] }>();
  for (const h of await hosts.list()) {
    const c = byCluster.get(h.clusterId) ?? { id: h.clusterId, name: h.clusterName, hosts: [] };
    c.hosts.push({ id: h.id, name: h.name });
    byCluster.set(h.clusterId, c);
  }
  return [...byCluster.values()];
}

export async function needPool(name: string): Promise<StoragePoolRecord> {
  const pool = await storagePools.byName(name);
  if (!pool) throw new VireoError('NOT_FOUND', `No storage pool named ${name}.`, { object: 'pool' });
  return pool;
}

/** Define the pool on one host; the error (as text) when that failed. */
async function applyTo(pool: StoragePoolRecord, host: { id: string; name: string }): Promise<string | null> {
  try {
    const agent = await hostAgent(host.id, host.name);
    await agent.request('pool.ensure', { name: pool.name, path: pool.path });
    return null;
  } catch (err) {
    if (VireoError.is(err, 'CONFLICT') || VireoError.is(err, 'BAD_INPUT')) throw err;
    return toErrorPayload(err).message;
  }
}

export interface PoolCreate {
  name: string;
  path: string;
  scope: 'host' | 'cluster';
  hostId?: string | undefined;
  clusterId?: string | undefined;
}

/**
 * Records the pool, then defines it on every online host concerned. A host whose libvirt refuses
 * it (another pool has the name or the directory there) undoes the creation; an offline host
 * gets it when it connects.
 */
export async function createPool(input: PoolCreate): Promise<{ name: string; notApplied: string[] }> {
  const all = await hosts.list();
  const target =
    input.scope === 'host' ? all.find((h) => h.id === input.hostId) : all.find((h) => h.clusterId === input.clusterId);
  if (!target) {
    throw new VireoError('NOT_FOUND', `No such ${input.scope}, or it has no hosts.`, {
      object: input.scope === 'host' ? 'host' : 'cluster',
    });
  }
  let pool: StoragePoolRecord;
  try {
    pool = await storagePools.create({
      name: input.name,
      path: input.path,
      scope: input.scope,
      hostId: input.scope === 'host' ? target.id : null,
      clusterId: input.scope === 'cluster' ? target.clusterId : null,
    });
  } catch (err) {
    if (!DbConflictError.is(err)) throw err;
    throw new VireoError('CONFLICT', 'Another storage pool already has this name or directory.', { object: 'pool' });
  }
  const notApplied: string[] = [];
  try {
    for (const h of hostsOf(pool, all).filter((h) => h.status === 'online')) {
      const error = await applyTo(pool, h);
      if (error) notApplied.push(`${h.name}: ${error}`);
    }
  } catch (err) {
    await storagePools.remove(pool.name);
    throw err;
  }
  return { name: pool.name, notApplied };
}

/**
 * Undefines the pool on its hosts (its files stay) and forgets it. Refused while a domain on any
 * host uses one of its volumes, and while one of its hosts cannot be asked.
 */
export async function deletePool(name: string): Promise<void> {
  const pool = await needPool(name);
  if (pool.name === DEFAULT_POOL) {
    throw new VireoError('INVALID_STATE', 'The default pool cannot be deleted.', { object: 'pool' });
  }
  const mine = hostsOf(pool, await hosts.list());
  const reads = await readHosts(mine, pool.name);
  const unread = reads.find((r) => r.error);
  if (unread) {
    throw new VireoError(
      'HOST_OFFLINE',
      `Host ${unread.host.name} cannot be asked whether it uses volumes of ${name} (${unread.error}); bring it online first.`,
      { object: 'host' },
    );
  }
  const busy = reads.flatMap((r) =>
    (r.pools?.[0]?.volumes ?? []).filter((v) => v.usedBy.length > 0).map((v) => `${v.name} on ${r.host.name}`),
  );
  if (busy.length > 0) {
    throw new VireoError('CONFLICT', `Volumes of ${name} are in use: ${busy.join(', ')}.`, { object: 'pool' });
  }
  for (const h of mine) {
    const agent = await hostAgent(h.id, h.name);
    await agent.request('pool.remove', { name: pool.name });
  }
  await storagePools.remove(pool.name);
}

/**
 * The install's default pool: created once, as a cluster pool of the first cluster a host
 * connects from, in VIREO_DEFAULT_POOL_PATH (a directory every host of it shares). Two managers
 * racing both try; the unique name lets one win.
 */
async function ensureDefaultPool(clusterId: string): Promise<void> {
  if (await storagePools.byName(DEFAULT_POOL)) return;
  try {
    await storagePools.create({
      name: DEFAULT_POOL,
      path: managerEnv().VIREO_DEFAULT_POOL_PATH,
      scope: 'cluster',
      hostId: null,
      clusterId,
    });
  } catch (err) {
    if (!DbConflictError.is(err)) throw err;
  }
}

/** A host connected: it gets the default pool (made if none) and every pool meant for it. */
export async function applyPoolsOnConnect(host: { id: string; name: string; clusterId: string }): Promise<void> {
  try {
    await ensureDefaultPool(host.clusterId);
    for (const pool of await storagePools.forHost(host)) {
      const error = await applyTo(pool, host).catch((err: unknown) => toErrorPayload(err).message);
      if (error) console.warn(`[storage] pool ${pool.name} not applied to host ${host.name}: ${error}`);
    }
  } catch (err) {
    console.error(`[storage] applying pools to host ${host.name} failed:`, err);
  }
}
