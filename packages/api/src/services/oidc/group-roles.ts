/**
 * The group → role mapping of single sign-on (VIREO_OIDC_GROUP_ROLES): pure parsing, no
 * database. One entry per line, `;` or `,` (or a JSON object `{"group": "target" | [targets]}`
 * for group names with those characters, e.g. LDAP DNs). A target is
 * - `admin`: the system administrator (User.role 'admin');
 * - `<role>`: a role on the whole system (`viewer`, `operator`...);
 * - `<role>@<scope kind>:<name>`: a role on one named object, e.g. `member@project:web`,
 *   `operator@cluster:main`. The name is looked up at each login, so it may be created later.
 */
import { ROLES, type Role, SCOPE_KINDS, type ScopeKind } from '@vireo/db';

export type GroupTarget = { kind: 'admin' } | { kind: 'binding'; role: Role; scopeKind: ScopeKind; scopeName: string };
export type GroupRoles = ReadonlyArray<{ group: string; target: GroupTarget }>;

const TARGET = /^([a-z]+)(?:@([a-z]+)(?::(.+))?)?$/;

/** One target; a string saying what is wrong when it is not one. */
export function parseTarget(text: string): GroupTarget | string {
  const m = TARGET.exec(text.trim());
  if (!m) return `"${text}" is not a role: write admin, <role> or <role>@<scope>:<name>`;
  const [, role = '', kind, name] = m;
  if (!(ROLES as readonly string[]).includes(role)) return `"${role}" is not a role (one of ${ROLES.join(', ')})`;
  if (!kind || (kind === 'system' && name === undefined))
    return role === 'admin'
      ? { kind: 'admin' }
      : { kind: 'binding', role: role as Role, scopeKind: 'system', scopeName: '' };
  if (!(SCOPE_KINDS as readonly string[]).includes(kind) || kind === 'system')
    return `"${kind}" is not a scope (one of ${SCOPE_KINDS.filter((k) => k !== 'system').join(', ')})`;
  if (!name?.trim()) return `"${text}" names no ${kind}: write ${role}@${kind}:<name>`;
  return { kind: 'binding', role: role as Role, scopeKind: kind as ScopeKind, scopeName: name.trim() };
}

/** The whole setting; throws an Error naming the bad entry. */
export function parseGroupRoles(value: unknown): GroupRoles {
  const pairs: [string, string][] = [];
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error('is not valid JSON');
    }
    return parseGroupRoles(parsed);
  }
  if (typeof value === 'string') {
    for (const entry of value.split(/[\n;,]/)) {
      if (!entry.trim()) continue;
      const eq = entry.lastIndexOf('=');
      if (eq <= 0) throw new Error(`"${entry.trim()}" is not group=role`);
      pairs.push([entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()]);
    }
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [group, targets] of Object.entries(value)) {
      for (const t of Array.isArray(targets) ? targets : [targets]) {
        if (typeof t !== 'string') throw new Error(`the role of group "${group}" must be a string`);
        pairs.push([group, t]);
      }
    }
  } else if (value !== undefined && value !== null) {
    throw new Error('must be group=role entries or a JSON object of group → role(s)');
  }
  return pairs.map(([group, text]) => {
    if (!group) throw new Error(`"=${text}" names no group`);
    const target = parseTarget(text);
    if (typeof target === 'string') throw new Error(`group "${group}": ${target}`);
    return { group, target };
  });
}

/** What a user's groups give: the mapping's entries for the groups they are in. */
export function targetsFor(mapping: GroupRoles, groups: readonly string[]): GroupTarget[] {
  const member = new Set(groups);
  return mapping.filter((m) => member.has(m.group)).map((m) => m.target);
}

/**
 * The groups claim as a list of names. Providers send an array of strings (Keycloak's may be
 * paths like `/dev-team`: both the path and its last part count), sometimes one string.
 */
export function groupsFromClaim(claim: unknown): string[] {
  const raw = Array.isArray(claim) ? claim : typeof claim === 'string' ? [claim] : [];
  const out = new Set<string>();
  for (const g of raw) {
    if (typeof g !== 'string' || !g) continue;
    out.add(g);
    if (g.startsWith('/')) out.add(g.slice(g.lastIndexOf('/') + 1));
  }
  return [...out];
}

/** A local username from the provider's preferred_username (or email, or subject). */
export function baseUsername(claims: { preferred_username?: unknown; email?: unknown; sub: string }): string {
  const pick = [claims.preferred_username, typeof claims.email === 'string' ? claims.email.split('@')[0] : undefined]
    .filter((v): v is string => typeof v === 'string')
    .map((v) =>
      v
        .toLowerCase()
        .replace(/[^a-z0-9_.-]+/g, '-')
        .replace(/^[^a-z]+/, '')
        .slice(0, 28),
    )
    .find((v) => v.length >= 2);
  return (
    pick ??
    `sso-${
      claims.sub
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '')
        .slice(0, 24) || 'user'
    }`
  );
}

/** The n-th candidate for a name already taken: `alice`, `alice-2`, `alice-3`… (at most 32 chars). */
export function usernameCandidate(base: string, n: number): string {
  return n <= 1 ? base : `${base.slice(0, 32 - String(n).length - 1)}-${n}`;
}
