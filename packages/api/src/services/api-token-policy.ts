/**
 * What an API token may do, and the limits on creating one. Pure, so unit tests prove it.
 * `read`: queries only; `write`: queries and mutations, within what the user may do anyway.
 * Subscriptions (live streams) are tied to browser sessions (routers/live.ts) and refused
 * to tokens there.
 */
import type { ApiTokenScope } from '@vireo/db';
import type { Auth } from '../context.ts';

export const MAX_TOKEN_DAYS = 365;
const DAY_MS = 86_400_000;

/** Why this request may not run with its token's scope, or null. */
export function tokenScopeRefusal(auth: Auth, type: 'query' | 'mutation' | 'subscription'): string | null {
  if (auth.kind !== 'token' || type !== 'mutation') return null;
  return allowsMutation(auth.scope)
    ? null
    : 'This API token has the read scope: it may only read. Create a token with the write scope to make changes.';
}

export function allowsMutation(scope: ApiTokenScope): boolean {
  return scope === 'write';
}

/** The expiry of a token created `now` for `days` days; throws a human message past the limits. */
export function tokenExpiry(days: number, now = new Date()): Date {
  if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS)
    throw new RangeError(`A token expires after 1 to ${MAX_TOKEN_DAYS} days.`);
  return new Date(now.getTime() + days * DAY_MS);
}
