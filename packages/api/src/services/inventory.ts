/**
 * Datacenters, clusters and where hosts sit (issue 8). Every change is an event and a live
 * `inventory` change, so every manager's browsers redraw their tree. Guards are enforced by the
 * conditional writes in @vireo/db's inventory repository; the reasons are read only to say why.
 */
import {
  type ClusterPolicies,
  clusters,
  DbConflictError,
  DbNotFoundError,
  type EventInput,
  hosts,
  inventory,
  MAINTENANCE_STATES,
} from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { InventoryTreeView } from '../views.ts';
import { isHostConnected } from './agent-registry.ts';
import { publish } from './bus.ts';
import { reapplyToHost } from './networks.ts';
import { applyPoolsOnConnect } from './storage-pools.ts';
import { publishHost, recordEvent } from './views.ts';
import type { PermissionUser } from './permissions/can.ts';
import { infraVisibility } from './permissions/visibility.ts';

type Actor = { id: string; username: string };

/** How many VMs a host's expanded node lists; the rest are on the VMs page. */
export const HOST_VM_LEAVES = 500;

function names(list: string[], total = list.length): string {
  const shown = list.join(', ');
  return total > list.length ? `${shown} and ${total - list.length} more` : shown;
}

async function record(
  actor: Actor,
  input: Omit<EventInput, 'userId' | 'severity'>,
  severity: EventInput['severity'] = 'info',
) {
  await recordEvent({ ...input, severity, userId: actor.id });
  publish({ kind: 'inventory' });
}

async function datacenterOrThrow(id: string) {
  const dc = await inventory.datacenterById(id);
  if (!dc) throw new VireoError('NOT_FOUND', 'No such datacenter.', { object: 'datacenter' });
  return dc;
}

async function clusterOrThrow(id: string) {
  const c = await inventory.clusterById(id);
  if (!c) throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
  return c;
}

/** Unique-name and vanished-row failures of a write, in the user's words. */
async function named<T>(run: () => Promise<T>, conflict: string, object: 'datacenter' | 'cluster'): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (DbConflictError.is(err)) throw new VireoError('CONFLICT', conflict, { object });
    if (DbNotFoundError.is(err)) throw new VireoError('NOT_FOUND', `No such ${object}.`, { object });
    throw err;
  }
}

/** The tree the user may see: all, or what is under its datacenter/cluster/host roles. */
export async function inventoryTree(user: PermissionUser): Promise<InventoryTreeView> {
  const t = await inventory.tree(await infraVisibility(user));
  return {
    ...t,
    // As views.ts toHostView: a connection here is the truth.
    hosts: t.hosts.map((h) => ({
      id: h.id,
      name: h.name,
      clusterId: h.clusterId,
      status: (isHostConnected(h.id) ? 'online' : h.status) as InventoryTreeView['hosts'][number]['status'],
      maintenance: (MAINTENANCE_STATES as readonly string[]).includes(h.maintenance)
        ? (h.maintenance as InventoryTreeView['hosts'][number]['maintenance'])
        : 'none',
      vmsTotal: h.vmsTotal,
      vmsRunning: h.vmsRunning,
    })),
  };
}

export async function hostVmLeaves(hostId: string) {
  return inventory.hostVms(hostId, HOST_VM_LEAVES);
}

export async function createDatacenter(name: string, actor: Actor): Promise<{ id: string }> {
  const dc = await named(
    () => inventory.createDatacenter(name),
    `A datacenter named "${name}" already exists.`,
    'datacenter',
  );
  await record(actor, { kind: 'datacenter.created', message: `${actor.username} created datacenter ${name}.` });
  return { id: dc.id };
}

export async function renameDatacenter(id: string, name: string, actor: Actor): Promise<void> {
  const dc = await datacenterOrThrow(id);
  if (dc.name === name) return;
  await named(() => inventory.renameDatacenter(id, name), `A datacenter named "${name}" already exists.`, 'datacenter');
  await record(actor, {
    kind: 'datacenter.renamed',
    message: `${actor.username} renamed datacenter ${dc.name} to ${name}.`,
  });
}

export async function deleteDatacenter(id: string, actor: Actor): Promise<void> {
  const dc = await datacenterOrThrow(id);
  if (!(await inventory.deleteDatacenterIfEmpty(id))) {
    const { names: list, total } = await inventory.clustersOf(id);
    if (total === 0) throw new VireoError('NOT_FOUND', 'No such datacenter.', { object: 'datacenter' });
    throw new VireoError(
      'CONFLICT',
      `Datacenter ${dc.name} still has ${total === 1 ? 'a cluster' : `${total} clusters`}: ${names(list, total)}. ` +
        'Delete them or move them to another datacenter first.',
      { object: 'datacenter' },
    );
  }
  await record(
    actor,
    { kind: 'datacenter.deleted', message: `${actor.username} deleted datacenter ${dc.name}.` },
    'warning',
  );
}

export async function createCluster(datacenterId: string, name: string, actor: Actor): Promise<{ id: string }> {
  const dc = await datacenterOrThrow(datacenterId);
  const c = await named(
    () => inventory.createCluster(datacenterId, name),
    `Datacenter ${dc.name} already has a cluster named "${name}".`,
    'cluster',
  );
  await record(actor, {
    kind: 'cluster.created',
    message: `${actor.username} created cluster ${name} in datacenter ${dc.name}.`,
  });
  return { id: c.id };
}

export async function renameCluster(id: string, name: string, actor: Actor): Promise<void> {
  const c = await clusterOrThrow(id);
  if (c.name === name) return;
  await named(
    () => inventory.updateCluster(id, { name }),
    `Datacenter ${c.datacenterName} already has a cluster named "${name}".`,
    'cluster',
  );
  await record(actor, { kind: 'cluster.renamed', message: `${actor.username} renamed cluster ${c.name} to ${name}.` });
}

export async function moveCluster(id: string, datacenterId: string, actor: Actor): Promise<void> {
  const c = await clusterOrThrow(id);
  const dc = await datacenterOrThrow(datacenterId);
  if (c.datacenterId === dc.id) {
    throw new VireoError('INVALID_STATE', `Cluster ${c.name} is already in datacenter ${dc.name}.`, {
      object: 'cluster',
    });
  }
  await named(
    () => inventory.updateCluster(id, { datacenterId }),
    `Datacenter ${dc.name} already has a cluster named "${c.name}": rename one of them first.`,
    'cluster',
  );
  await record(actor, {
    kind: 'cluster.moved',
    message: `${actor.username} moved cluster ${c.name} from datacenter ${c.datacenterName} to ${dc.name}.`,
  });
}

export async function deleteCluster(id: string, actor: Actor): Promise<void> {
  const c = await clusterOrThrow(id);
  if (!(await inventory.deleteClusterIfEmpty(id))) {
    const b = await inventory.clusterBlockers(id);
    const parts = [
      b.hosts.length > 0 && `hosts ${names(b.hosts)} (move or remove them)`,
      b.networks.length > 0 && `networks ${names(b.networks)} (delete them on the Networks page)`,
      b.pools.length > 0 && `storage pools ${names(b.pools)} (delete them on the Storage page)`,
    ].filter(Boolean);
    if (parts.length === 0) throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
    throw new VireoError('CONFLICT', `Cluster ${c.name} still has ${parts.join('; ')}.`, { object: 'cluster' });
  }
  await record(
    actor,
    {
      kind: 'cluster.deleted',
      message: `${actor.username} deleted cluster ${c.name} from datacenter ${c.datacenterName}.`,
    },
    'warning',
  );
}

export async function clusterPolicies(id: string): Promise<ClusterPolicies> {
  const p = await clusters.policies(id);
  if (!p) throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
  return p;
}

export async function setClusterPolicies(
  id: string,
  changes: Partial<ClusterPolicies>,
  actor: Actor,
): Promise<ClusterPolicies> {
  const c = await clusterOrThrow(id);
  const before = await clusterPolicies(id);
  const after = await named(() => clusters.setPolicies(id, changes), 'Conflicting change.', 'cluster');
  const changed = (Object.keys(after) as (keyof ClusterPolicies)[])
    .filter((k) => after[k] !== before[k])
    .map((k) => `${k} ${JSON.stringify(before[k])} → ${JSON.stringify(after[k])}`);
  if (changed.length > 0) {
    await record(actor, {
      kind: 'cluster.settings',
      message: `${actor.username} changed the settings of cluster ${c.name}: ${changed.join(', ')}.`,
    });
  }
  return after;
}

/**
 * Moves a host to another cluster. Only an empty host moves: a running VM would lose its
 * cluster's networks and storage underneath it, so its VMs must be migrated away or stopped and
 * moved first. The host then gets the new cluster's networks and pools at once if it is online.
 */
export async function moveHost(hostId: string, clusterId: string, actor: Actor): Promise<void> {
  const host = await hosts.byId(hostId);
  if (!host) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  const target = await clusterOrThrow(clusterId);
  const from = await clusterOrThrow(host.clusterId);
  if (host.clusterId === clusterId) {
    throw new VireoError('INVALID_STATE', `Host ${host.name} is already in cluster ${target.name}.`, {
      object: 'host',
    });
  }
  if (!(await inventory.moveHostIfEmpty(hostId, clusterId))) {
    const b = await inventory.hostBlockers(hostId);
    if (b.vmTotal > 0) {
      throw new VireoError(
        'CONFLICT',
        `Host ${host.name} has ${b.vmTotal === 1 ? 'a VM' : `${b.vmTotal} VMs`} (${names(b.vms, b.vmTotal)}): ` +
          'migrate or stop-and-move them first.',
        { object: 'host' },
      );
    }
    if (b.networks.length > 0) {
      throw new VireoError(
        'CONFLICT',
        `Host ${host.name} has host networks ${names(b.networks)} of cluster ${from.name}: delete them first.`,
        { object: 'host' },
      );
    }
    throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  }
  await record(actor, {
    kind: 'host.moved',
    message: `${actor.username} moved host ${host.name} from cluster ${from.name} to ${target.name}.`,
    hostId,
  });
  await publishHost(hostId);
  // Online here or on another manager: hostAgent (inside these) reaches it either way.
  if (isHostConnected(hostId) || host.status === 'online') {
    void applyPoolsOnConnect({ id: hostId, name: host.name, clusterId });
    void reapplyToHost(hostId, host.name).catch((err) =>
      console.warn(`[inventory] networks of cluster ${target.name} not applied to host ${host.name}:`, err),
    );
  }
}
