/**
 * The one permission question (issue 10): may this user do this action on this object?
 * Everything that authorises asks it here; policy.ts says what each role allows.
 */
import { roleBindings, type ScopeKind, vms } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../../views.ts';
import { type Action, type Grant, grantsAllow } from './policy.ts';

export type PermissionUser = Pick<UserView, 'id' | 'role'>;
export type ObjectRef = { kind: ScopeKind; id: string };

/** The user's grants: its role bindings, plus 'admin' on the system for an administrator. */
export async function grantsOf(user: PermissionUser): Promise<Grant[]> {
  const grants: Grant[] = (await roleBindings.forUser(user.id)).map((b) => ({
    role: b.role,
    scopeKind: b.scopeKind,
    scopeId: b.scopeId,
  }));
  if (user.role === 'admin') grants.push({ role: 'admin', scopeKind: 'system', scopeId: '' });
  return grants;
}

export async function can(user: PermissionUser, action: Action, object: ObjectRef): Promise<boolean> {
  if (user.role === 'admin') return true;
  const scopes = await roleBindings.enclosingScopes(object.kind, object.id);
  if (!scopes) return false;
  const grants = await grantsOf(user);
  if (object.kind === 'vm') {
    const vm = await vms.byId(object.id);
    if (vm?.ownerId === user.id) grants.push({ role: 'owner', scopeKind: 'vm', scopeId: object.id });
  }
  return grantsAllow(grants, action, scopes);
}

/**
 * Throws unless the user may. An object the user may not even see is reported missing
 * (NOT_FOUND), so ids cannot be probed; one it sees but may not act on is FORBIDDEN.
 */
export async function assertCan(user: PermissionUser, action: Action, object: ObjectRef): Promise<void> {
  if (await can(user, action, object)) return;
  // The system always exists: nothing to hide, so a refusal there says what it needs.
  if (object.kind === 'system') throw new VireoError('FORBIDDEN', 'This needs an administrator.');
  if (action !== 'view' && (await can(user, 'view', object))) {
    throw new VireoError('FORBIDDEN', `Your role does not allow ${action} on this ${object.kind}.`, {
      object: object.kind,
    });
  }
  throw new VireoError('NOT_FOUND', `No such ${object.kind}, or you have no access to it.`, { object: object.kind });
}
