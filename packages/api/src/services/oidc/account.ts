/**
 * The Vireo account behind an SSO login: found by issuer + subject (never by username: a
 * provider's user named like a local admin does not become that admin), created at the first
 * login with a free local username, refused when disabled, and given the roles its groups map to
 * (group-roles.ts), replacing those the groups gave at the last login.
 */
import { DbConflictError, type oidcUsers as OidcUsersNs, oidcUsers } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { OidcClaims } from './client.ts';
import type { OidcSettings } from './config.ts';
import { baseUsername, groupsFromClaim, targetsFor, usernameCandidate } from './group-roles.ts';

type OidcUser = OidcUsersNs.OidcUser;

export interface SsoAccount {
  user: OidcUser;
  created: boolean;
  groups: string[];
  /** Scope names in the mapping that name nothing (yet): skipped, and said in the audit entry. */
  unresolved: string[];
}

async function findOrCreate(issuer: string, claims: OidcClaims): Promise<{ user: OidcUser; created: boolean }> {
  const found = await oidcUsers.byLink(issuer, claims.sub);
  if (found) return { user: found, created: false };
  const base = baseUsername(claims as Parameters<typeof baseUsername>[0]);
  for (let n = 1; n <= 50; n++) {
    const username = usernameCandidate(base, n);
    if (await oidcUsers.usernameTaken(username)) continue;
    try {
      return { user: await oidcUsers.create({ issuer, subject: claims.sub, username }), created: true };
    } catch (err) {
      if (!DbConflictError.is(err)) throw err;
      // The same person's login racing this one made the account: use it.
      const raced = await oidcUsers.byLink(issuer, claims.sub);
      if (raced) return { user: raced, created: false };
    }
  }
  throw new VireoError('CONFLICT', `No free username near "${base}". Ask an administrator to rename accounts.`, {
    object: 'user',
  });
}

export async function ssoAccount(settings: OidcSettings, claims: OidcClaims): Promise<SsoAccount> {
  const { user, created } = await findOrCreate(claims.iss, claims);
  if (user.disabledAt)
    throw new VireoError('FORBIDDEN', 'This account is disabled. Ask an administrator to enable it.', {
      object: 'user',
    });
  const groups = groupsFromClaim(claims[settings.groupsClaim]);
  const targets = targetsFor(settings.groupRoles, groups);
  const bindings: OidcUsersNs.GroupBinding[] = [];
  const unresolved: string[] = [];
  for (const t of targets) {
    if (t.kind === 'admin') continue;
    const scopeId = await oidcUsers.scopeIdByName(t.scopeKind, t.scopeName);
    if (scopeId === null) unresolved.push(`${t.scopeKind}:${t.scopeName}`);
    else bindings.push({ role: t.role, scopeKind: t.scopeKind, scopeId });
  }
  const applied = await oidcUsers.applyGroups(user.id, { admin: targets.some((t) => t.kind === 'admin'), bindings });
  return { user: { ...user, role: applied.role }, created, groups, unresolved };
}
