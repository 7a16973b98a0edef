// Accounts that sign in through OpenID Connect (issue 10): linked by issuer + subject, with the
// role and the role bindings the provider's groups claim gives them at each login.
import { randomBytes } from 'node:crypto';
import { exclusive, getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';
import type { Prisma } from './generated/client.ts';
import type { Role, ScopeKind } from './role-bindings.ts';

export type OidcUser = {
  id: string;
  username: string;
  role: 'admin' | 'user';
  disabledAt: Date | null;
  /** The HMAC key of the device cookie (device-cookie.ts): random, never a password. */
  passwordHash: string;
};

const select = { id: true, username: true, role: true, disabledAt: true, passwordHash: true } as const;

/**
 * Never a valid scrypt hash (verifyPassword refuses it), and unguessable: the device cookie and
 * the TOTP challenge are keyed with this column.
 */
function noPassword(): string {
  return `oidc$${randomBytes(32).toString('base64url')}`;
}

export function hasNoLocalPassword(passwordHash: string): boolean {
  return passwordHash.startsWith('oidc$');
}

export async function byLink(issuer: string, subject: string): Promise<OidcUser | null> {
  const row = await getDb().user.findUnique({
    where: { oidcIssuer_oidcSubject: { oidcIssuer: issuer, oidcSubject: subject } },
    select,
  });
  return row && { ...row, role: row.role as OidcUser['role'] };
}

/** True when a local (not linked) or linked account already uses this name. */
export async function usernameTaken(username: string): Promise<boolean> {
  return (await getDb().user.count({ where: { username } })) > 0;
}

/**
 * A new linked account. @throws DbConflictError with fields ["username"] when the name was taken
 * meanwhile (the caller tries the next name), or ["oidcIssuer","oidcSubject"] when a racing
 * first login of the same person made it.
 */
export async function create(input: { issuer: string; subject: string; username: string }): Promise<OidcUser> {
  const row = await mapDbErrors(() =>
    getDb().user.create({
      data: {
        username: input.username,
        passwordHash: noPassword(),
        role: 'user',
        oidcIssuer: input.issuer,
        oidcSubject: input.subject,
      },
      select,
    }),
  );
  return { ...row, role: row.role as OidcUser['role'] };
}

export type GroupBinding = { role: Role; scopeKind: ScopeKind; scopeId: string };

const key = (b: { role: string; scopeKind: string; scopeId: string }) => `${b.role}|${b.scopeKind}|${b.scopeId}`;

/**
 * Applies what the groups claim says at a login, in one transaction: User.role 'admin' while an
 * admin group says so (a role an admin set by hand is left alone; the last enabled admin is
 * never demoted, so SSO cannot lock everyone out), and the bindings of source 'oidc' replaced by
 * `bindings`. Bindings granted by hand (source 'manual') stay, also when a group gives the same.
 */
export async function applyGroups(
  userId: string,
  groups: { admin: boolean; bindings: GroupBinding[] },
): Promise<{ role: 'admin' | 'user'; added: number; removed: number; keptLastAdmin: boolean }> {
  return exclusive('users', async (tx) => {
    const user = await tx.user.findUniqueOrThrow({
      where: { id: userId },
      select: { role: true, roleFromGroups: true },
    });
    let role = user.role as 'admin' | 'user';
    let roleFromGroups = user.roleFromGroups;
    let keptLastAdmin = false;
    if (groups.admin && role !== 'admin') {
      role = 'admin';
      roleFromGroups = true;
    } else if (!groups.admin && role === 'admin' && roleFromGroups) {
      if (await lastEnabledAdmin(tx, userId)) keptLastAdmin = true;
      else {
        role = 'user';
        roleFromGroups = false;
      }
    }
    await tx.user.update({ where: { id: userId }, data: { role, roleFromGroups }, select: { id: true } });

    const existing = await tx.roleBinding.findMany({
      where: { userId },
      select: { id: true, role: true, scopeKind: true, scopeId: true, source: true },
    });
    const wanted = new Map(groups.bindings.map((b) => [key(b), b]));
    const stale = existing.filter((b) => b.source === 'oidc' && !wanted.has(key(b))).map((b) => b.id);
    if (stale.length) await tx.roleBinding.deleteMany({ where: { id: { in: stale } } });
    const have = new Set(existing.map(key));
    const fresh = [...wanted.values()].filter((b) => !have.has(key(b)));
    for (const b of fresh) {
      await tx.roleBinding.create({
        data: { userId, role: b.role, scopeKind: b.scopeKind, scopeId: b.scopeId, source: 'oidc' },
        select: { id: true },
      });
    }
    return { role, added: fresh.length, removed: stale.length, keptLastAdmin };
  });
}

async function lastEnabledAdmin(tx: Prisma.TransactionClient, userId: string): Promise<boolean> {
  const others = await tx.user.count({ where: { role: 'admin', disabledAt: null, id: { not: userId } } });
  return others === 0;
}

/** The id of a scope named in the group mapping (`member@project:web`); null when none has the name. */
export async function scopeIdByName(kind: ScopeKind, name: string): Promise<string | null> {
  const db = getDb();
  const where = { where: { name }, select: { id: true } } as const;
  switch (kind) {
    case 'system':
      return '';
    case 'project':
      return (await db.project.findFirst(where))?.id ?? null;
    case 'cluster':
      return (await db.cluster.findFirst(where))?.id ?? null;
    case 'datacenter':
      return (await db.datacenter.findFirst(where))?.id ?? null;
    case 'host':
      return (await db.host.findFirst(where))?.id ?? null;
    case 'template':
      return (await db.template.findFirst(where))?.id ?? null;
    case 'vm':
      return (await db.vm.findFirst(where))?.id ?? null;
  }
}
