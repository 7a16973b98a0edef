// Personal API tokens. Like sessions, the row id is SHA-256 of the token and the token itself
// is returned once, at creation. A token works while it is not revoked, not expired and its
// user is not disabled.
import { randomBytes } from 'node:crypto';
import { getDb } from './client.ts';
import { hashToken } from './tokens.ts';
import { toUserView, type UserView, userSelect } from './user-record.ts';

export const TOKEN_PREFIX = 'vireo_pat_';
export const API_TOKEN_SCOPES = ['read', 'write'] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];
/** lastUsedAt is written at most this often per token, not on every request. */
export const LAST_USED_EVERY_MS = 60_000;

export interface ApiTokenView {
  id: string;
  userId: string;
  username: string;
  name: string;
  /** The token's first characters ("vireo_pat_AbC1"), to tell tokens apart. */
  prefix: string;
  scope: ApiTokenScope;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ValidApiToken {
  id: string;
  scope: ApiTokenScope;
  user: UserView;
}

const select = {
  id: true,
  userId: true,
  name: true,
  prefix: true,
  scope: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  revokedAt: true,
  user: { select: { username: true } },
} as const;

type Row = {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  scope: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  user: { username: string };
};

const toView = ({ user, ...row }: Row): ApiTokenView => ({
  ...row,
  username: user.username,
  scope: row.scope as ApiTokenScope,
});

/** A new token: the prefix and 32 random bytes, base64url. */
export function newTokenText(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Returns the raw token (shown once) and the stored view. */
export async function create(input: {
  userId: string;
  name: string;
  scope: ApiTokenScope;
  expiresAt: Date;
}): Promise<{ token: string; view: ApiTokenView }> {
  const token = newTokenText();
  const row = await getDb().apiToken.create({
    data: { id: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 4), ...input },
    select,
  });
  return { token, view: toView(row) };
}

/** A user's tokens (or everyone's with `userId` undefined), newest first, revoked ones included. */
export async function list(userId?: string): Promise<ApiTokenView[]> {
  const rows = await getDb().apiToken.findMany({
    where: userId === undefined ? {} : { userId },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    select,
  });
  return rows.map(toView);
}

export async function byId(id: string): Promise<ApiTokenView | null> {
  const row = await getDb().apiToken.findUnique({ where: { id }, select });
  return row && toView(row);
}

/**
 * The token's id, scope and user, or null when unknown, revoked, expired or its user is
 * disabled. Marks it used (at most once a minute).
 */
export async function findValid(token: string, now = new Date()): Promise<ValidApiToken | null> {
  const row = await getDb().apiToken.findFirst({
    where: { id: hashToken(token), revokedAt: null, expiresAt: { gt: now }, user: { disabledAt: null } },
    select: { id: true, scope: true, lastUsedAt: true, user: { select: userSelect } },
  });
  if (!row) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_EVERY_MS) {
    // Conditional, so concurrent requests write once; a lost update only delays the stamp.
    await getDb().apiToken.updateMany({
      where: {
        id: row.id,
        OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now.getTime() - LAST_USED_EVERY_MS) } }],
      },
      data: { lastUsedAt: now },
    });
  }
  return { id: row.id, scope: row.scope as ApiTokenScope, user: toUserView(row.user) };
}

/** Revokes the token (kept, listed as revoked); false if it was unknown or already revoked. */
export async function revoke(id: string, now = new Date()): Promise<boolean> {
  const { count } = await getDb().apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
  return count === 1;
}
