/**
 * User administration by admins: disable/enable, delete (VMs reassigned), reset a password,
 * end sessions, change the role. An admin cannot disable or delete themselves, and there is
 * always one enabled admin left (the database checks that in the same transaction it writes).
 */
import { DbNotFoundError, events, type UserChangeResult, users } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { Role } from '../views.ts';
import { closeSessionConnections } from './console-tickets.ts';

type Actor = { id: string; username: string };

export interface UserAdminView {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  vmCount: number;
  /** Live (unexpired) login sessions. */
  sessionCount: number;
  /** TOTP second factor on (issue 10). */
  totpEnabled: boolean;
}

export async function listUsersForAdmin(): Promise<UserAdminView[]> {
  return (await users.listWithCounts()).map((u) => ({
    id: u.id,
    username: u.username,
    role: u.role as Role,
    disabled: u.disabledAt !== null,
    createdAt: u.createdAt.toISOString(),
    vmCount: u.vmCount,
    sessionCount: u.sessionCount,
    totpEnabled: u.totpEnabled,
  }));
}

const vmsText = (n: number) => `${n} ${n === 1 ? 'VM' : 'VMs'}`;

async function target(userId: string): Promise<{ id: string; username: string }> {
  const user = await users.byId(userId);
  if (!user) throw new VireoError('NOT_FOUND', 'No such user.', { object: 'user' });
  return user;
}

function notSelf(actor: Actor, userId: string, what: string): void {
  if (actor.id === userId)
    throw new VireoError('INVALID_STATE', `You cannot ${what} your own account; ask another administrator.`, {
      object: 'user',
    });
}

/** Runs a repository call, a vanished user becoming NOT_FOUND. */
async function onUser<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (DbNotFoundError.is(err)) throw new VireoError('NOT_FOUND', 'No such user.', { object: 'user' });
    throw err;
  }
}

/** Admin actions on users are recorded as events, by whom. */
async function record(actor: Actor, kind: string, message: string): Promise<void> {
  await events.add({ severity: 'info', kind, message: `${actor.username} ${message}`, userId: actor.id });
}

/** Consoles opened from a session close with it. */
function endConsoles(sessionIds: string[]): void {
  for (const id of sessionIds) closeSessionConnections(id);
}

/** Turns a refusal into a readable error; on success closes the consoles of the ended sessions. */
async function settle(name: string, run: () => Promise<UserChangeResult>): Promise<void> {
  const result = await onUser(run);
  if (result.ok) return endConsoles(result.sessionIds);
  switch (result.reason) {
    case 'last-admin':
      throw new VireoError(
        'INVALID_STATE',
        `"${name}" is the last enabled administrator. Make another user an administrator (or enable one) first.`,
        { object: 'user' },
      );
    case 'owns-vms':
      throw new VireoError(
        'CONFLICT',
        `"${name}" owns ${vmsText(result.vmCount)}. Choose a user to give them to, or delete them first.`,
        { object: 'user' },
      );
    case 'no-new-owner':
      throw new VireoError('NOT_FOUND', 'The user chosen to receive the VMs does not exist.', { object: 'user' });
  }
}

export async function setUserDisabled(actor: Actor, userId: string, disabled: boolean): Promise<void> {
  if (disabled) notSelf(actor, userId, 'disable');
  const user = await target(userId);
  await settle(user.username, () => users.setDisabled(userId, disabled));
  await record(
    actor,
    disabled ? 'user.disabled' : 'user.enabled',
    `${disabled ? 'disabled' : 'enabled'} user ${user.username}.`,
  );
}

export async function setUserRole(actor: Actor, userId: string, role: Role): Promise<void> {
  const user = await target(userId);
  await settle(user.username, () => users.setRole(userId, role));
  await record(actor, 'user.role', `made ${user.username} ${role === 'admin' ? 'an administrator' : 'a user'}.`);
}

export async function deleteUser(actor: Actor, userId: string, newOwnerId?: string): Promise<void> {
  notSelf(actor, userId, 'delete');
  if (newOwnerId === userId)
    throw new VireoError('BAD_INPUT', 'Choose another user to receive the VMs of the user being deleted.');
  const user = await target(userId);
  await settle(user.username, () => users.delete(userId, newOwnerId));
  await record(actor, 'user.deleted', `deleted user ${user.username}.`);
}

export async function resetPassword(actor: Actor, userId: string, password: string): Promise<void> {
  const user = await target(userId);
  const { sessionIds } = await onUser(() => users.setPassword(userId, password));
  endConsoles(sessionIds);
  await record(actor, 'user.password', `set a new password for ${user.username}; their sessions ended.`);
}

/** Returns how many sessions ended. */
export async function revokeSessions(actor: Actor, userId: string): Promise<{ count: number }> {
  const user = await target(userId);
  const { sessionIds } = await onUser(() => users.revokeSessions(userId));
  endConsoles(sessionIds);
  await record(actor, 'user.sessions', `ended ${sessionIds.length} session(s) of ${user.username}.`);
  return { count: sessionIds.length };
}
