/**
 * What each role may do (issue 10): pure rules, no database. A role is granted on a scope
 * (system, datacenter, cluster, host, project, template, vm) and applies to everything inside
 * it: a VM is inside its project and inside its host, which is inside its cluster and datacenter.
 * The user who owns a VM holds 'owner' on it. User.role 'admin' is the system administrator.
 *
 * Actions:
 * - view:    see the object and its details
 * - operate: power actions, console, snapshots (create, revert), migrate
 * - edit:    change its configuration (hardware, name, tags, schedules)
 * - create:  create VMs inside the scope (a project, a cluster)
 * - delete:  remove it
 * - manage:  manage the scope itself: members and roles, quotas, publications, infrastructure
 */
import type { Role, ScopeKind } from '@vireo/db';

export const ACTIONS = ['view', 'operate', 'edit', 'create', 'delete', 'manage'] as const;
export type Action = (typeof ACTIONS)[number];

export const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  admin: ACTIONS,
  operator: ['view', 'operate', 'edit', 'create', 'delete'],
  owner: ['view', 'operate', 'edit', 'create', 'delete', 'manage'],
  // A project member runs the project's VMs and creates new ones (which it then owns); it edits
  // and deletes only VMs it owns (through the implicit 'owner' on each).
  member: ['view', 'operate', 'create'],
  viewer: ['view'],
};

export function roleAllows(role: Role, action: Action): boolean {
  return ROLE_ACTIONS[role].includes(action);
}

/** A grant as the checks read it: a role on a scope. */
export type Grant = { role: Role; scopeKind: ScopeKind; scopeId: string };

/**
 * Does any grant allow `action` on an object whose enclosing scopes (itself first, system last)
 * are `scopes`?
 */
export function grantsAllow(
  grants: readonly Grant[],
  action: Action,
  scopes: readonly { kind: ScopeKind; id: string }[],
) {
  return grants.some(
    (g) => roleAllows(g.role, action) && scopes.some((s) => s.kind === g.scopeKind && s.id === g.scopeId),
  );
}
