import { exclusive, getDb } from './client.ts';
import type { UserRole } from './enums.ts';
import { DbNotFoundError, mapDbErrors } from './errors.ts';
import type { Prisma } from './generated/client.ts';
import { hashPassword } from './password.ts';
import { toUserView, type UserView, userSelect } from './user-record.ts';

export type { UserView } from './user-record.ts';
/** Only for login: carries the password hash. */
export type UserWithPassword = UserView & { passwordHash: string };
/** For the admin's user list. */
export type UserListItem = UserView & { vmCount: number; sessionCount: number; totpEnabled: boolean };

/**
 * Why a guarded change was refused: it would leave no enabled admin, or the user still owns VMs
 * (delete without a user to give them to), or the chosen new owner does not exist.
 */
export type UserChangeRefusal =
  | { ok: false; reason: 'last-admin' }
  | { ok: false; reason: 'owns-vms'; vmCount: number }
  | { ok: false; reason: 'no-new-owner' };
/** `sessionIds` are the ended sessions (their hashes), so callers can close what hangs off them. */
export type UserChangeResult = { ok: true; sessionIds: string[] } | UserChangeRefusal;

export async function byUsername(username: string): Promise<UserWithPassword | null> {
  const row = await getDb().user.findUnique({
    where: { username },
    select: { ...userSelect, passwordHash: true },
  });
  return row && { ...toUserView(row), passwordHash: row.passwordHash };
}

export async function byId(id: string): Promise<UserView | null> {
  const row = await getDb().user.findUnique({ where: { id }, select: userSelect });
  return row && toUserView(row);
}

export async function list(): Promise<UserView[]> {
  const rows = await getDb().user.findMany({ select: userSelect, orderBy: { username: 'asc' } });
  return rows.map(toUserView);
}

/**
 * Enabled users whose name contains `text`, as a picker offers them (id and name only), the
 * closest first: a name starting with it before one containing it; at most `limit`.
 */
export async function findByName(text: string, limit: number): Promise<{ id: string; username: string }[]> {
  const rows = await getDb().user.findMany({
    where: { username: { contains: text }, disabledAt: null },
    select: { id: true, username: true },
    orderBy: { username: 'asc' },
    take: 200,
  });
  const starts = rows.filter((r) => r.username.startsWith(text));
  return [...starts, ...rows.filter((r) => !r.username.startsWith(text))].slice(0, limit);
}

/** Users with how many VMs they own and how many live sessions they have. */
export async function listWithCounts(): Promise<UserListItem[]> {
  const rows = await getDb().user.findMany({
    select: {
      ...userSelect,
      totpEnabledAt: true,
      _count: { select: { vms: true, sessions: { where: { expiresAt: { gt: new Date() } } } } },
    },
    orderBy: { username: 'asc' },
  });
  return rows.map(({ _count, totpEnabledAt, ...row }) => ({
    ...toUserView(row),
    vmCount: _count.vms,
    sessionCount: _count.sessions,
    totpEnabled: totpEnabledAt !== null,
  }));
}

/** @throws DbConflictError (fields ["username"]) when the name is taken. */
export async function create(input: { username: string; password: string; role: UserRole }): Promise<UserView> {
  const passwordHash = await hashPassword(input.password);
  const row = await mapDbErrors(() =>
    getDb().user.create({
      data: { username: input.username, role: input.role, passwordHash },
      select: userSelect,
    }),
  );
  return toUserView(row);
}

type Tx = Prisma.TransactionClient;

/** Ends every session of the user; returns their ids. */
async function endSessions(tx: Tx, userId: string): Promise<string[]> {
  const rows = await tx.session.findMany({ where: { userId }, select: { id: true } });
  await tx.session.deleteMany({ where: { userId } });
  return rows.map((r) => r.id);
}

/** True if the user is an enabled admin and no other enabled admin exists. @throws DbNotFoundError */
async function isLastEnabledAdmin(tx: Tx, id: string): Promise<boolean> {
  const user = await tx.user.findUnique({ where: { id }, select: { role: true, disabledAt: true } });
  if (!user) throw new DbNotFoundError('User');
  if (user.role !== 'admin' || user.disabledAt) return false;
  const others = await tx.user.count({ where: { role: 'admin', disabledAt: null, id: { not: id } } });
  return others === 0;
}

/**
 * A new password; every session of the user ends (whoever held the old password is out).
 * @throws DbNotFoundError
 */
export async function setPassword(id: string, password: string): Promise<{ sessionIds: string[] }> {
  const passwordHash = await hashPassword(password);
  return mapDbErrors(() =>
    exclusive('users', async (tx) => {
      await tx.user.update({ where: { id }, data: { passwordHash }, select: { id: true } });
      return { sessionIds: await endSessions(tx, id) };
    }),
  );
}

/** Signs the user out everywhere. @throws DbNotFoundError */
export async function revokeSessions(id: string): Promise<{ sessionIds: string[] }> {
  return mapDbErrors(() =>
    exclusive('users', async (tx) => {
      const found = await tx.user.count({ where: { id } });
      if (!found) throw new DbNotFoundError('User');
      return { sessionIds: await endSessions(tx, id) };
    }),
  );
}

/**
 * Disables (ending all sessions at once) or enables the account. Refused for the last enabled
 * admin. @throws DbNotFoundError
 */
export async function setDisabled(id: string, disabled: boolean): Promise<UserChangeResult> {
  return mapDbErrors(() =>
    exclusive('users', async (tx): Promise<UserChangeResult> => {
      if (disabled && (await isLastEnabledAdmin(tx, id))) return { ok: false, reason: 'last-admin' };
      const current = await tx.user.findUniqueOrThrow({ where: { id }, select: { disabledAt: true } });
      // Re-disabling keeps the original time.
      const disabledAt = disabled ? (current.disabledAt ?? new Date()) : null;
      await tx.user.update({ where: { id }, data: { disabledAt }, select: { id: true } });
      return { ok: true, sessionIds: disabled ? await endSessions(tx, id) : [] };
    }),
  );
}

/** Changes the role; demoting the last enabled admin is refused. @throws DbNotFoundError */
export async function setRole(id: string, role: UserRole): Promise<UserChangeResult> {
  return mapDbErrors(() =>
    exclusive('users', async (tx): Promise<UserChangeResult> => {
      if (role !== 'admin' && (await isLastEnabledAdmin(tx, id))) return { ok: false, reason: 'last-admin' };
      // Set by hand: no longer the groups claim's to take away (oidc-users.ts).
      await tx.user.update({ where: { id }, data: { role, roleFromGroups: false }, select: { id: true } });
      return { ok: true, sessionIds: [] };
    }),
  );
}

/**
 * Deletes the user. Their VMs go to `newOwnerId`; without one, a user who owns VMs is not
 * deleted. Sessions go with the user; tasks and events keep existing without it.
 * @throws DbNotFoundError
 */
async function remove(id: string, newOwnerId?: string): Promise<UserChangeResult> {
  return mapDbErrors(() =>
    exclusive('users', async (tx): Promise<UserChangeResult> => {
      if (await isLastEnabledAdmin(tx, id)) return { ok: false, reason: 'last-admin' };
      const vmCount = await tx.vm.count({ where: { ownerId: id } });
      if (vmCount > 0) {
        if (!newOwnerId) return { ok: false, reason: 'owns-vms', vmCount };
        const target = await tx.user.count({ where: { id: newOwnerId } });
        if (!target || newOwnerId === id) return { ok: false, reason: 'no-new-owner' };
        await tx.vm.updateMany({ where: { ownerId: id }, data: { ownerId: newOwnerId } });
      }
      const sessionIds = await endSessions(tx, id);
      await tx.user.delete({ where: { id }, select: { id: true } });
      return { ok: true, sessionIds };
    }),
  );
}
export { remove as delete };
