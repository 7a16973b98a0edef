/**
 * API tokens as users see them: their own tokens; an admin sees and revokes anyone's. The raw
 * token is returned once, by `create`, and never again.
 */
import { type ApiTokenScope, type ApiTokenView, apiTokens } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { tokenExpiry } from './api-token-policy.ts';

export interface ApiTokenListItem {
  id: string;
  userId: string;
  username: string;
  name: string;
  prefix: string;
  scope: ApiTokenScope;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** 'active' | 'expired' | 'revoked', as of the answer. */
  status: 'active' | 'expired' | 'revoked';
}

function toItem(t: ApiTokenView, now = Date.now()): ApiTokenListItem {
  return {
    ...t,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
    status: t.revokedAt ? 'revoked' : t.expiresAt.getTime() <= now ? 'expired' : 'active',
  };
}

export async function createApiToken(
  user: UserView,
  input: { name: string; scope: ApiTokenScope; expiresInDays: number },
): Promise<{ token: string; item: ApiTokenListItem }> {
  let expiresAt: Date;
  try {
    expiresAt = tokenExpiry(input.expiresInDays);
  } catch (err) {
    throw new VireoError('BAD_INPUT', (err as Error).message);
  }
  const { token, view } = await apiTokens.create({ userId: user.id, name: input.name, scope: input.scope, expiresAt });
  return { token, item: toItem(view) };
}

/** The user's own tokens; with `all`, an admin's view of everyone's. */
export async function listApiTokens(user: UserView, all: boolean): Promise<ApiTokenListItem[]> {
  if (all && user.role !== 'admin')
    throw new VireoError('FORBIDDEN', "Only an administrator sees other users' tokens.");
  return (await apiTokens.list(all ? undefined : user.id)).map((t) => toItem(t));
}

export async function revokeApiToken(user: UserView, tokenId: string): Promise<ApiTokenListItem> {
  const token = await apiTokens.byId(tokenId);
  // Someone else's token is "not found" to a non-admin: its existence is not theirs to know.
  if (!token || (token.userId !== user.id && user.role !== 'admin'))
    throw new VireoError('NOT_FOUND', 'No such API token.', { object: 'apiToken' });
  if (token.revokedAt)
    throw new VireoError('INVALID_STATE', 'This API token is already revoked.', { object: 'apiToken' });
  await apiTokens.revoke(tokenId);
  return toItem({ ...token, revokedAt: new Date() });
}
