/**
 * Projects (tenants) and role bindings (issue 10): who may see and run what. Quota enforcement
 * lives with VM creation; here the limits are only stored and edited.
 */
import {
  DbConflictError,
  type PublicationKind,
  type Quotas,
  type Role,
  type RoleBindingView,
  type ScopeKind,
  networks,
  projects,
  roleBindings,
  storagePools,
  templates,
  users,
  vms,
} from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { assertCan, type PermissionUser } from './permissions/can.ts';
import { projectVisibility } from './permissions/visibility.ts';
import { applyDefaultLease } from './lease-service.ts';

export async function listProjects(user: PermissionUser) {
  const visible = await projectVisibility(user);
  const [rows, counts] = await Promise.all([
    projects.list('all' in visible ? {} : { ids: visible.ids }),
    projects.vmCounts(),
  ]);
  return rows.map((p) => ({ ...p, vmCount: counts.get(p.id) ?? 0 }));
}

async function projectOrThrow(id: string) {
  const project = await projects.byId(id);
  if (!project) throw new VireoError('NOT_FOUND', 'No such project.', { object: 'project' });
  return project;
}

/** A project with its members (role bindings) and what is published to it, by name. */
export async function projectDetail(id: string) {
  const project = await projectOrThrow(id);
  const [members, publications, vmPage] = await Promise.all([
    roleBindings.forScope('project', id),
    projects.publicationsOf(id),
    vms.page({ offset: 0, limit: 0, sort: 'name', dir: 'asc', projectId: id }),
  ]);
  const named = await Promise.all(
    publications.map(async (p) => ({ ...p, name: await publicationName(p.objectKind, p.objectId) })),
  );
  return { ...project, members, publications: named, vmCount: vmPage.total };
}

async function publicationName(kind: PublicationKind, id: string): Promise<string | null> {
  if (kind === 'template') return (await templates.byId(id))?.name ?? null;
  if (kind === 'network') return (await networks.byId(id))?.name ?? null;
  return (await storagePools.list()).find((p) => p.id === id)?.name ?? null;
}

const nameTaken = (name: string) =>
  new VireoError('CONFLICT', `A project named "${name}" exists already. Choose another name.`, { object: 'project' });

/** A name is taken whatever its case; the database's unique index backs this up under a race. */
async function assertNameFree(name: string, exceptId?: string): Promise<void> {
  const holder = await projects.nameHolder(name);
  if (holder && holder.id !== exceptId) throw nameTaken(holder.name);
}

export async function createProject(input: { name: string; description?: string; quota?: Partial<Quotas> }) {
  await assertNameFree(input.name);
  try {
    return await projects.create(input);
  } catch (err) {
    if (err instanceof DbConflictError) throw nameTaken(input.name);
    throw err;
  }
}

/** Name and description need 'manage' on the project; quotas need 'manage' on the system. */
export async function updateProject(
  user: PermissionUser,
  input: { projectId: string; name?: string; description?: string; quota?: Partial<Quotas> },
) {
  await projectOrThrow(input.projectId);
  if (input.quota && Object.keys(input.quota).length > 0) {
    await assertCan(user, 'manage', { kind: 'system', id: '' });
  }
  if (input.name !== undefined) await assertNameFree(input.name, input.projectId);
  try {
    return await projects.update(input.projectId, {
      name: input.name,
      description: input.description,
      quota: input.quota,
    });
  } catch (err) {
    if (err instanceof DbConflictError && input.name !== undefined) throw nameTaken(input.name);
    throw err;
  }
}

export async function removeProject(id: string): Promise<{ removed: true }> {
  await projectOrThrow(id);
  const result = await projects.remove(id);
  if (!result.removed) {
    throw new VireoError(
      'CONFLICT',
      `The project still has ${result.vmCount} VM${result.vmCount === 1 ? '' : 's'}. Move or delete them first.`,
      { object: 'project' },
    );
  }
  return result;
}

/** Only an object that exists can be published. */
export async function publish(projectId: string, kind: PublicationKind, objectId: string, on: boolean) {
  await projectOrThrow(projectId);
  if (on && (await publicationName(kind, objectId)) === null) {
    throw new VireoError('NOT_FOUND', `No such ${kind}.`, { object: kind });
  }
  if (on) await projects.publish(projectId, kind, objectId);
  else await projects.unpublish(projectId, kind, objectId);
  return { published: on };
}

/** Moves a VM into a project (or out: null), with its quota share (vms.setProject: an administrator's act, charged even past the limits). */
export async function moveVm(vmId: string, projectId: string | null) {
  if (!(await vms.byId(vmId))) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  if (projectId) await projectOrThrow(projectId);
  await vms.setProject(vmId, projectId);
  // A project with a lease policy gives the VM its default lease (none if it already has one).
  if (projectId) await applyDefaultLease(vmId);
  return { vmId, projectId };
}

/**
 * Grants a role on a scope. The rule already checked 'manage' on the scope; a delegated admin
 * may not hand out a role stronger than the ones it holds there ('admin' needs an admin).
 */
export async function grantRole(
  actor: UserView,
  input: { userId: string; role: Role; scopeKind: ScopeKind; scopeId: string },
): Promise<RoleBindingView> {
  if (!(await users.byId(input.userId))) throw new VireoError('NOT_FOUND', 'No such user.', { object: 'user' });
  if (input.role === 'admin' && actor.role !== 'admin') {
    await assertCan(actor, 'manage', { kind: 'system', id: '' });
  }
  if (input.scopeKind !== 'system' && !(await roleBindings.enclosingScopes(input.scopeKind, input.scopeId))) {
    throw new VireoError('NOT_FOUND', `No such ${input.scopeKind}.`);
  }
  return roleBindings.grant(input);
}

/** Revokes a binding on the scope named (the rule checked 'manage' on that scope). */
export async function revokeRole(input: { bindingId: string; scopeKind: ScopeKind; scopeId: string }) {
  const binding = await roleBindings.byId(input.bindingId);
  const scopeId = input.scopeKind === 'system' ? '' : input.scopeId;
  if (!binding || binding.scopeKind !== input.scopeKind || binding.scopeId !== scopeId) {
    throw new VireoError('NOT_FOUND', 'No such role binding on this scope.', { object: 'roleBinding' });
  }
  await roleBindings.revoke(input.bindingId);
  return { revoked: true };
}
