// Roles granted to users on scopes (issue 10). What a role allows is policy, not data: see
// packages/api/src/services/permissions/policy.ts.
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';

export const ROLES = ['admin', 'operator', 'owner', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const SCOPE_KINDS = ['system', 'datacenter', 'cluster', 'host', 'project', 'template', 'vm'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

export type RoleBindingView = {
  id: string;
  userId: string;
  username: string;
  role: Role;
  scopeKind: ScopeKind;
  /** '' for the system scope. */
  scopeId: string;
  createdAt: Date;
};

const select = {
  id: true,
  userId: true,
  role: true,
  scopeKind: true,
  scopeId: true,
  createdAt: true,
  user: { select: { username: true } },
} as const;

type Row = {
  id: string;
  userId: string;
  role: string;
  scopeKind: string;
  scopeId: string;
  createdAt: Date;
  user: { username: string };
};

function toView(row: Row): RoleBindingView {
  return {
    id: row.id,
    userId: row.userId,
    username: row.user.username,
    role: row.role as Role,
    scopeKind: row.scopeKind as ScopeKind,
    scopeId: row.scopeId,
    createdAt: row.createdAt,
  };
}

/**
 * Grants a role; granting one the user already has returns the existing binding, now marked as
 * granted by hand (so an SSO login no longer replaces it, see oidc-users.ts).
 */
export async function grant(input: {
  userId: string;
  role: Role;
  scopeKind: ScopeKind;
  scopeId: string;
}): Promise<RoleBindingView> {
  const scopeId = input.scopeKind === 'system' ? '' : input.scopeId;
  return mapDbErrors(async () => {
    const row = await getDb().roleBinding.upsert({
      where: {
        userId_role_scopeKind_scopeId: { userId: input.userId, role: input.role, scopeKind: input.scopeKind, scopeId },
      },
      create: { userId: input.userId, role: input.role, scopeKind: input.scopeKind, scopeId },
      update: { source: 'manual' },
      select,
    });
    return toView(row);
  });
}

/** Revokes one binding; false when it was already gone. */
export async function revoke(id: string): Promise<boolean> {
  const { count } = await getDb().roleBinding.deleteMany({ where: { id } });
  return count > 0;
}

export async function byId(id: string): Promise<RoleBindingView | null> {
  const row = await getDb().roleBinding.findUnique({ where: { id }, select });
  return row ? toView(row) : null;
}

/** Every binding a user holds (a handful: read once per permission check). */
export async function forUser(userId: string): Promise<RoleBindingView[]> {
  const rows = await getDb().roleBinding.findMany({ where: { userId }, select, orderBy: { createdAt: 'asc' } });
  return rows.map(toView);
}

/** Who holds a role on this scope (a project's members, a VM's grantees). */
export async function forScope(scopeKind: ScopeKind, scopeId: string): Promise<RoleBindingView[]> {
  const rows = await getDb().roleBinding.findMany({
    where: { scopeKind, scopeId },
    select,
    orderBy: [{ role: 'asc' }, { createdAt: 'asc' }],
  });
  return rows.map(toView);
}

/** Removes every binding on a scope that is going away (a deleted VM, project, host…). */
export async function removeScope(scopeKind: ScopeKind, scopeId: string): Promise<number> {
  const { count } = await getDb().roleBinding.deleteMany({ where: { scopeKind, scopeId } });
  return count;
}

/** The scopes that enclose an object, itself first: a binding on any of them applies to it. */
export type ScopeRef = { kind: ScopeKind; id: string };

/**
 * What a permission is asked about: a scope, or an object that lives inside one without being a
 * scope of its own (a network: its host, else its cluster; roles are not granted on it).
 */
export type ObjectKind = ScopeKind | 'network';

export async function enclosingScopes(kind: ObjectKind, id: string): Promise<ScopeRef[] | null> {
  const db = getDb();
  const out: ScopeRef[] = [];
  let hostId: string | null = null;
  let clusterId: string | null = null;
  let datacenterId: string | null = null;
  switch (kind) {
    case 'system':
      return [{ kind: 'system', id: '' }];
    case 'vm': {
      const vm = await db.vm.findUnique({ where: { id }, select: { projectId: true, hostId: true } });
      if (!vm) return null;
      out.push({ kind: 'vm', id });
      if (vm.projectId) out.push({ kind: 'project', id: vm.projectId });
      hostId = vm.hostId;
      break;
    }
    case 'host':
      hostId = id;
      break;
    case 'cluster':
      clusterId = id;
      break;
    case 'datacenter':
      datacenterId = id;
      break;
    case 'network': {
      const network = await db.network.findUnique({ where: { id }, select: { clusterId: true, hostId: true } });
      if (!network) return null;
      hostId = network.hostId;
      clusterId = network.clusterId;
      break;
    }
    case 'project':
    case 'template': {
      const exists =
        kind === 'project' ? await db.project.count({ where: { id } }) : await db.template.count({ where: { id } });
      if (!exists) return null;
      out.push({ kind, id });
      break;
    }
  }
  if (hostId) {
    const host = await db.host.findUnique({ where: { id: hostId }, select: { clusterId: true } });
    if (!host && kind === 'host') return null;
    if (host) {
      out.push({ kind: 'host', id: hostId });
      clusterId = host.clusterId;
    }
  }
  if (clusterId) {
    const cluster = await db.cluster.findUnique({ where: { id: clusterId }, select: { datacenterId: true } });
    if (!cluster && kind === 'cluster') return null;
    if (cluster) {
      out.push({ kind: 'cluster', id: clusterId });
      datacenterId = cluster.datacenterId;
    }
  }
  if (datacenterId) {
    const dc = await db.datacenter.count({ where: { id: datacenterId } });
    if (!dc && kind === 'datacenter') return null;
    if (dc) out.push({ kind: 'datacenter', id: datacenterId });
  }
  out.push({ kind: 'system', id: '' });
  return out;
}
