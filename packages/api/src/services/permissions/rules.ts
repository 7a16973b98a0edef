/**
 * The permission rule every tRPC procedure declares as its meta (issue 10), and the check that
 * enforces it. One middleware in trpc.ts runs `checkRule` before input validation, reading the
 * object's id from the raw input, so a denied call never reaches validation or the handler.
 *
 * - 'public':  anyone, signed in or not (login).
 * - 'self':    any signed-in user, acting on its own account (logout, own tokens, TOTP, me).
 * - 'signedIn': any signed-in user; the handler checks each object its input names itself
 *              (vm.create: the project; bulk jobs: every VM for the action).
 * - 'list':    any signed-in user; the handler returns only what the user may see, by a filtered
 *              query (see vm-visibility.ts). `object` in the meta names what is listed.
 * - { action, object: 'system' }: the action on the whole system (admins; 'manage' on system).
 * - { action, object, from }: the action on the object whose id is the raw input's `from` field.
 */
import { type ObjectKind, SCOPE_KINDS, type ScopeKind } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { assertCan, type PermissionUser } from './can.ts';
import type { Action } from './policy.ts';

export type PermRule =
  | 'public'
  | 'self'
  | 'signedIn'
  | 'list'
  | { action: Action; object: 'system' }
  | { action: Action; object: Exclude<ObjectKind, 'system'>; from: string }
  /** Role bindings: the scope is the input's `scopeKind` and `scopeId` (system: scopeId ''). */
  | { action: Action; object: 'scope' };

export type Meta = {
  perm?: PermRule;
  /** For 'list': what the procedure lists (documentation and the matrix test's "lists never leak"). */
  object?: string;
};

export const rule = {
  public: { perm: 'public' } as Meta,
  self: { perm: 'self' } as Meta,
  signedIn: { perm: 'signedIn' } as Meta,
  list: (object: string): Meta => ({ perm: 'list', object }),
  system: (action: Action): Meta => ({ perm: { action, object: 'system' } }),
  on: (action: Action, object: Exclude<ObjectKind, 'system'>, from: string): Meta => ({
    perm: { action, object, from },
  }),
  vm: (action: Action): Meta => ({ perm: { action, object: 'vm', from: 'vmId' } }),
  scope: (action: Action): Meta => ({ perm: { action, object: 'scope' } }),
};

/** The id a rule reads from the raw (unvalidated) input; undefined when it is not a short string. */
export function ruleObjectId(raw: unknown, from: string): string | undefined {
  const value = raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[from] : undefined;
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
}

/**
 * Throws unless `user` passes `rule` for this raw input. A procedure without a rule is refused:
 * forgetting one must fail closed (and the matrix test names it).
 */
export async function checkRule(
  path: string,
  perm: PermRule | undefined,
  user: PermissionUser | null,
  raw: () => Promise<unknown>,
): Promise<void> {
  if (!perm) {
    throw new VireoError('INTERNAL', `The procedure ${path} declares no permission rule; it is refused until it does.`);
  }
  if (perm === 'public') return;
  if (!user) throw new VireoError('UNAUTHORIZED', 'You are not logged in, or your session expired. Log in again.');
  if (perm === 'self' || perm === 'signedIn' || perm === 'list') return;
  if (perm.object === 'system') return assertCan(user, perm.action, { kind: 'system', id: '' });
  // Input that is not even JSON says so (the object cannot be read, so it would else be "missing").
  const input = await raw().catch(() => {
    throw new VireoError('BAD_INPUT', "The request's input is not valid JSON.");
  });
  if (perm.object === 'scope') return assertCanOnScope(user, perm.action, input);
  const id = ruleObjectId(input, perm.from);
  // An administrator may do anything: a missing id is then the input's fault, and validation says so.
  if (!id && user.role === 'admin') return;
  // No id to check: reported as missing, exactly like an id the user may not see.
  if (!id)
    throw new VireoError('NOT_FOUND', `No such ${perm.object}, or you have no access to it.`, { object: perm.object });
  return assertCan(user, perm.action, { kind: perm.object, id });
}

async function assertCanOnScope(user: PermissionUser, action: Action, input: unknown): Promise<void> {
  const kind = ruleObjectId(input, 'scopeKind');
  if (!kind || !(SCOPE_KINDS as readonly string[]).includes(kind)) {
    if (user.role === 'admin') return; // validation names the bad field
    throw new VireoError('NOT_FOUND', 'No such scope, or you have no access to it.');
  }
  if (kind === 'system') return assertCan(user, action, { kind: 'system', id: '' });
  const id = ruleObjectId(input, 'scopeId');
  if (!id) {
    if (user.role === 'admin') return;
    throw new VireoError('NOT_FOUND', `No such ${kind}, or you have no access to it.`, { object: kind as ScopeKind });
  }
  return assertCan(user, action, { kind: kind as ScopeKind, id });
}
