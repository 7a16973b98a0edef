/**
 * The one permission question (issue 10): may this user do this action on this object?
 * Everything that authorises asks it here; policy.ts says what each role allows.
 */
import { type ObjectKind, roleBindings, type ScopeKind, vms } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../../views.ts';
import { type Action, type Grant, grantsAllow } from './policy.ts';

export type PermissionUser = Pick<UserView, 'id' | 'role'>;
/** A scope, or an object inside one (a network): see roleBindings.enclosingScopes. */
export type ObjectRef = { kind: ObjectKind; id: string };

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

/**
 * What a check of `object` reads: its enclosing scopes and the user's grants (with the implicit
 * 'owner' on a VM the user owns); null when the object does not exist. Read once per question.
 */
async function standing(
  user: PermissionUser,
  object: ObjectRef,
): Promise<{ scopes: { kind: ScopeKind; id: string }[]; grants: Grant[] } | null> {
  const scopes = await roleBindings.enclosingScopes(object.kind, object.id);
  if (!scopes) return null;
  const grants = await grantsOf(user);
  if (object.kind === 'vm' && (await vms.ownerOf(object.id)) === user.id) {
    grants.push({ role: 'owner', scopeKind: 'vm', scopeId: object.id });
  }
  return { scopes, grants };
}

export async function can(user: PermissionUser, action: Action, object: ObjectRef): Promise<boolean> {
  if (user.role === 'admin') return true;
  const s = await standing(user, object);
  return s !== null && grantsAllow(s.grants, action, s.scopes);
}

/**
 * Throws unless the user may. An object the user may not even see is reported missing
 * (NOT_FOUND), so ids cannot be probed; one it sees but may not act on is FORBIDDEN.
 */
export async function assertCan(user: PermissionUser, action: Action, object: ObjectRef): Promise<void> {
  if (user.role === 'admin') return;
  const s = await standing(user, object);
  if (s && grantsAllow(s.grants, action, s.scopes)) return;
  // The system always exists: nothing to hide, so a refusal there says what it needs.
  if (object.kind === 'system') throw new VireoError('FORBIDDEN', 'This needs an administrator.');
  if (s && action !== 'view' && grantsAllow(s.grants, 'view', s.scopes)) {
    throw new VireoError('FORBIDDEN', `Your role does not allow ${action} on this ${object.kind}.`, {
      object: object.kind,
    });
  }
  throw new VireoError('NOT_FOUND', `No such ${object.kind}, or you have no access to it.`, { object: object.kind });
}
