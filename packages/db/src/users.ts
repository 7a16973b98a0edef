import { getDb } from './client.ts';
import type { UserRole } from './enums.ts';
import { mapDbErrors } from './errors.ts';
import { hashPassword } from './password.ts';
import { toUserView, type UserView, userSelect } from './user-record.ts';

export type { UserView } from './user-record.ts';
/** Only for login: carries the password hash. */
export type UserWithPassword = UserView & { passwordHash: string };

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

/** @throws DbNotFoundError */
export async function setPassword(id: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await mapDbErrors(() => getDb().user.update({ where: { id }, data: { passwordHash }, select: { id: true } }));
}
