/**
 * What a user may see, as filters the database applies (issue 10): lists never load everything
 * to filter it here. One function per kind of object; every list of VMs uses vmVisibility.
 */
import {
  clusters,
  hosts,
  type InfraScope,
  networks,
  type PublicationKind,
  projects,
  type VmVisibility,
} from '@vireo/db';
import { type PermissionUser, grantsOf } from './can.ts';
import { type Action, roleAllows } from './policy.ts';

/** The grants that let the user see something, by scope kind. */
async function viewScopes(user: PermissionUser) {
  const grants = (await grantsOf(user)).filter((g) => roleAllows(g.role, 'view'));
  const ids = (kind: string) => grants.filter((g) => g.scopeKind === kind).map((g) => g.scopeId);
  return {
    system: grants.some((g) => g.scopeKind === 'system'),
    datacenterIds: ids('datacenter'),
    clusterIds: ids('cluster'),
    hostIds: ids('host'),
    projectIds: ids('project'),
    templateIds: ids('template'),
    vmIds: ids('vm'),
  };
}

/**
 * The VMs a user may see: all (a role on the system), or its own, those in its projects, those
 * on hosts under its host/cluster/datacenter roles, and those granted one by one.
 */
export async function vmVisibility(user: PermissionUser): Promise<VmVisibility> {
  if (user.role === 'admin') return { all: true };
  const s = await viewScopes(user);
  if (s.system) return { all: true };
  return {
    ownerId: user.id,
    projectIds: s.projectIds,
    hostIds: s.hostIds,
    clusterIds: s.clusterIds,
    datacenterIds: s.datacenterIds,
    vmIds: s.vmIds,
  };
}

/** A user without roles on any scope: it sees its own VMs only. */
export function seesOnlyOwn(v: VmVisibility): boolean {
  return (
    !v.all &&
    v.projectIds.length + v.hostIds.length + v.clusterIds.length + v.datacenterIds.length + v.vmIds.length === 0
  );
}

/** Infrastructure a user may see: only through roles on those scopes (project members see none). */
export async function infraVisibility(user: PermissionUser): Promise<InfraScope> {
  if (user.role === 'admin') return { all: true };
  const s = await viewScopes(user);
  if (s.system) return { all: true };
  return { datacenterIds: s.datacenterIds, clusterIds: s.clusterIds, hostIds: s.hostIds };
}

/** Projects the user holds a role on (all for a role on the system). */
export async function projectVisibility(user: PermissionUser): Promise<{ all: true } | { ids: string[] }> {
  if (user.role === 'admin') return { all: true };
  const s = await viewScopes(user);
  return s.system ? { all: true } : { ids: s.projectIds };
}

/**
 * The projects on which the user may do `action`, from one read of its grants: all for an
 * administrator or a role on the system that allows it, else those where a project role does.
 * The one answer to "which projects does this user manage" (requests it decides, showback) and
 * "where may it create VMs", so those lists agree with can() on each project.
 */
export async function projectsWhere(user: PermissionUser, action: Action): Promise<{ all: true } | { ids: string[] }> {
  if (user.role === 'admin') return { all: true };
  const grants = (await grantsOf(user)).filter((g) => roleAllows(g.role, action));
  if (grants.some((g) => g.scopeKind === 'system')) return { all: true };
  return { ids: [...new Set(grants.filter((g) => g.scopeKind === 'project').map((g) => g.scopeId))] };
}

/**
 * May the user create VMs outside projects (no project, no quota)? Administrators, roles that
 * create on infrastructure (system, datacenter, cluster, host), and users with no project role
 * at all (self-service as before projects existed). A project's people create in their projects,
 * so their VMs always count against a quota.
 */
export async function mayCreateOutsideProjects(user: PermissionUser): Promise<boolean> {
  if (user.role === 'admin') return true;
  const grants = await grantsOf(user);
  if (
    grants.some(
      (g) =>
        g.scopeKind !== 'project' && g.scopeKind !== 'vm' && g.scopeKind !== 'template' && roleAllows(g.role, 'create'),
    )
  ) {
    return true;
  }
  return !grants.some((g) => g.scopeKind === 'project');
}

/** Does the user manage any scope (a project, a host, a cluster…)? Who grants roles picks users. */
export async function managesSomeScope(user: PermissionUser): Promise<boolean> {
  return user.role === 'admin' || (await grantsOf(user)).some((g) => roleAllows(g.role, 'manage'));
}

/**
 * Templates, networks or pools a user may see: all for administrators and for roles on
 * infrastructure (system, datacenter, cluster, host); for project roles, those published to the
 * projects (plus templates granted one by one). A user with no role anywhere keeps seeing all,
 * as before projects existed: a plain user creates VMs from any template.
 */
export async function publishedVisibility(
  user: PermissionUser,
  kind: PublicationKind,
): Promise<{ all: true } | { ids: string[] }> {
  if (user.role === 'admin') return { all: true };
  const s = await viewScopes(user);
  if (s.system || s.datacenterIds.length + s.clusterIds.length + s.hostIds.length > 0) return { all: true };
  if (s.projectIds.length === 0 && s.templateIds.length === 0) return { all: true };
  const published = await projects.publishedIds(s.projectIds, kind);
  return { ids: kind === 'template' ? [...new Set([...published, ...s.templateIds])] : published };
}

/**
 * Networks a user may see: all for administrators, a role on the system and users with no role
 * (as publishedVisibility); for roles on datacenters, clusters or hosts, the networks there (a
 * delegated admin manages its clusters' networks); for project roles, those published to the
 * projects. Both, for a user holding both.
 */
export async function networkVisibility(user: PermissionUser): Promise<{ all: true } | { ids: string[] }> {
  if (user.role === 'admin') return { all: true };
  const s = await viewScopes(user);
  if (s.system) return { all: true };
  const infra = s.datacenterIds.length + s.clusterIds.length + s.hostIds.length > 0;
  if (!infra && s.projectIds.length === 0 && s.templateIds.length === 0) return { all: true };
  const [published, inScope] = await Promise.all([
    s.projectIds.length > 0 ? projects.publishedIds(s.projectIds, 'network') : Promise.resolve([]),
    networks.idsInScope(s),
  ]);
  return { ids: [...new Set([...published, ...inScope])] };
}

/**
 * Clusters where the user may do `action` (network.create's choice of cluster): all for an
 * administrator or a role on the system allowing it; else those under datacenter and cluster
 * roles that allow it (a role on one host does not reach its cluster).
 */
export async function clustersWhere(user: PermissionUser, action: Action): Promise<{ all: true } | { ids: string[] }> {
  if (user.role === 'admin') return { all: true };
  const grants = (await grantsOf(user)).filter((g) => roleAllows(g.role, action));
  if (grants.some((g) => g.scopeKind === 'system')) return { all: true };
  const clusterIds = grants.filter((g) => g.scopeKind === 'cluster').map((g) => g.scopeId);
  const datacenterIds = grants.filter((g) => g.scopeKind === 'datacenter').map((g) => g.scopeId);
  const under =
    datacenterIds.length > 0 ? (await clusters.list()).filter((c) => datacenterIds.includes(c.datacenterId)) : [];
  return { ids: [...new Set([...clusterIds, ...under.map((c) => c.id)])] };
}

/**
 * Whose host names a user may read: those of the hosts it may view (a role on the host, its
 * cluster, datacenter or the system). Project people and users without roles see their VMs but
 * not where they run (the portal's promise, kept by the API too).
 */
export async function hostNameShown(user: PermissionUser): Promise<(hostId: string | null) => boolean> {
  const infra = await infraVisibility(user);
  if ('all' in infra) return () => true;
  const ids = new Set([...infra.hostIds, ...(await hosts.idsUnder(infra))]);
  return (hostId) => hostId !== null && ids.has(hostId);
}

export type VmFacts = { id: string; ownerId: string; projectId: string | null; hostId: string | null };

/**
 * vmVisibility as a test on one VM in memory, for a live stream that filters every change it
 * sends (routers/live.ts reads it again every few seconds, so role changes apply to open tabs).
 */
export async function vmMatcher(user: PermissionUser): Promise<(vm: VmFacts) => boolean> {
  const v = await vmVisibility(user);
  if (v.all) return () => true;
  const projectIds = new Set(v.projectIds);
  const vmIds = new Set(v.vmIds);
  const hostIds = new Set([...v.hostIds, ...(await hosts.idsUnder(v))]);
  return (vm) =>
    vm.ownerId === user.id ||
    vmIds.has(vm.id) ||
    (vm.projectId !== null && projectIds.has(vm.projectId)) ||
    (vm.hostId !== null && hostIds.has(vm.hostId));
}
