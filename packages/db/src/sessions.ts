// Login sessions. The row id is SHA-256(token); the raw token exists only in
// the user's cookie.
import { getDb } from './client.ts';
import { generateToken, hashToken } from './tokens.ts';
import { toUserView, type UserView, userSelect } from './user-record.ts';

export const DEFAULT_SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** `id` is the stored hash: safe to bind other short-lived grants (console tickets) to. */
export type ValidSession = { id: string; expiresAt: Date; user: UserView };

/** Returns the raw token; only its hash is stored. */
export async function create(
  userId: string,
  ttlMs: number = DEFAULT_SESSION_TTL_MS,
): Promise<{ token: string; expiresAt: Date }> {
  const token = generateToken();
  const expiresAt = new Date(Date.now() + ttlMs);
  await getDb().session.create({ data: { id: hashToken(token), userId, expiresAt }, select: { id: true } });
  return { token, expiresAt };
}

/** The session and its user, or null if unknown, expired or the user is disabled. */
export async function findValid(token: string): Promise<ValidSession | null> {
  const row = await getDb().session.findFirst({
    // Disabling a user deletes their sessions too; this also covers a session created by a
    // login that raced the disable.
    where: { id: hashToken(token), expiresAt: { gt: new Date() }, user: { disabledAt: null } },
    select: { id: true, expiresAt: true, user: { select: userSelect } },
  });
  return row && { id: row.id, expiresAt: row.expiresAt, user: toUserView(row.user) };
}

/** Logout; idempotent. */
async function remove(token: string): Promise<void> {
  await getDb().session.deleteMany({ where: { id: hashToken(token) } });
}
export { remove as delete };

/** Housekeeping; returns how many expired sessions were removed. */
export async function deleteExpired(): Promise<number> {
  const { count } = await getDb().session.deleteMany({ where: { expiresAt: { lte: new Date() } } });
  return count;
}

/** Logout by the session's id (the token's hash), as held in a request context. */
export async function deleteById(id: string): Promise<void> {
  await getDb().session.deleteMany({ where: { id } });
}
