/**
 * Single sign-on's pure parts: the group → role mapping, the config's checks (each bad setting
 * named at startup), the flow cookie's expiry and the post-login path.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseManagerEnv } from '../src/env.ts';
import { oidcSettings } from '../src/services/oidc/config.ts';
import { FLOW_TTL_S, flowCookie, readFlow, safeNext } from '../src/services/oidc/flow-cookie.ts';
import {
  baseUsername,
  groupsFromClaim,
  parseGroupRoles,
  targetsFor,
  usernameCandidate,
} from '../src/services/oidc/group-roles.ts';

test('group roles: admin, a system role and scoped roles; bad entries name themselves', () => {
  const mapping = parseGroupRoles(
    'vireo-admins=admin, dev-team=member@project:web\nops=operator@cluster:main;audit=viewer',
  );
  assert.deepEqual(mapping, [
    { group: 'vireo-admins', target: { kind: 'admin' } },
    { group: 'dev-team', target: { kind: 'binding', role: 'member', scopeKind: 'project', scopeName: 'web' } },
    { group: 'ops', target: { kind: 'binding', role: 'operator', scopeKind: 'cluster', scopeName: 'main' } },
    { group: 'audit', target: { kind: 'binding', role: 'viewer', scopeKind: 'system', scopeName: '' } },
  ]);
  assert.deepEqual(
    targetsFor(mapping, ['ops', 'other']).map((t) => t.kind === 'binding' && t.scopeName),
    ['main'],
  );
  // Group names with commas or "=" (LDAP DNs) go in the JSON form.
  assert.deepEqual(parseGroupRoles('{"cn=admins,ou=groups": ["admin", "viewer"]}').length, 2);
  assert.throws(() => parseGroupRoles('dev-team=boss'), /"boss" is not a role/);
  assert.throws(() => parseGroupRoles('dev-team=member@galaxy:x'), /"galaxy" is not a scope/);
  assert.throws(() => parseGroupRoles('dev-team=member@project'), /names no project/);
  assert.throws(() => parseGroupRoles('dev-team'), /is not group=role/);
  assert.deepEqual(parseGroupRoles(''), []);
});

test('groups claim: arrays, a single string, Keycloak paths', () => {
  assert.deepEqual(groupsFromClaim(['/org/dev-team', 'ops', 3]), ['/org/dev-team', 'dev-team', 'ops']);
  assert.deepEqual(groupsFromClaim('ops'), ['ops']);
  assert.deepEqual(groupsFromClaim(undefined), []);
});

test('usernames from the provider fit the local rules and are made unique', () => {
  assert.equal(baseUsername({ preferred_username: 'Alice.Smith@Corp', sub: 'x' }), 'alice.smith-corp');
  assert.equal(baseUsername({ preferred_username: '42', email: 'bob@example.com', sub: 'x' }), 'bob');
  assert.equal(baseUsername({ sub: 'f81d4fae-7dec' }), 'sso-f81d4fae7dec');
  assert.equal(usernameCandidate('alice', 1), 'alice');
  assert.equal(usernameCandidate('alice', 3), 'alice-3');
  const long = 'a'.repeat(32);
  assert.equal(usernameCandidate(long, 12).length, 32);
  for (const name of ['alice.smith-corp', 'bob', 'sso-f81d4fae7dec', usernameCandidate(long, 12)])
    assert.match(name, /^[a-z][a-z0-9_.-]{1,31}$/);
});

const base = {
  VIREO_OIDC_ISSUER: 'https://sso.example.com/realms/main',
  VIREO_OIDC_CLIENT_ID: 'vireo',
  VIREO_OIDC_REDIRECT_BASE: 'https://vireo.example.com/',
};

test('config: SSO off without an issuer, complete with one; each bad setting is named', () => {
  assert.equal(oidcSettings(parseManagerEnv({})), null);
  const on = oidcSettings(parseManagerEnv({ ...base, VIREO_OIDC_GROUP_ROLES: 'a=admin' }));
  assert.equal(on?.redirectUri, 'https://vireo.example.com/api/auth/oidc/callback');
  assert.equal(on?.name, 'SSO');
  assert.equal(on?.groupRoles.length, 1);
  assert.throws(
    () => parseManagerEnv({ VIREO_OIDC_ISSUER: base.VIREO_OIDC_ISSUER }),
    (err: Error) => {
      assert.match(err.message, /VIREO_OIDC_CLIENT_ID: is required/);
      assert.match(err.message, /VIREO_OIDC_REDIRECT_BASE: is required/);
      return true;
    },
  );
  assert.throws(
    () => parseManagerEnv({ ...base, VIREO_OIDC_ISSUER: 'http://sso.example.com' }),
    /VIREO_OIDC_ISSUER: must be an https:\/\/ URL/,
  );
  assert.doesNotThrow(() => parseManagerEnv({ ...base, VIREO_OIDC_ISSUER: 'http://127.0.0.1:4200' }));
  assert.throws(
    () => parseManagerEnv({ ...base, VIREO_OIDC_GROUP_ROLES: 'x=root' }),
    /VIREO_OIDC_GROUP_ROLES: group "x"/,
  );
  assert.throws(() => parseManagerEnv({ ...base, VIREO_OIDC_SCOPES: 'profile' }), /VIREO_OIDC_SCOPES: must include/);
});

test('config file: under the environment, the same names; JSON mapping allowed', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-config-'));
  const file = path.join(dir, 'manager.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...base,
      VIREO_OIDC_NAME: 'Keycloak',
      VIREO_OIDC_GROUP_ROLES: { 'dev-team': 'member@project:web' },
    }),
  );
  const fromFile = oidcSettings(parseManagerEnv({ VIREO_CONFIG: file }));
  assert.equal(fromFile?.name, 'Keycloak');
  assert.equal(fromFile?.groupRoles[0]?.group, 'dev-team');
  assert.equal(oidcSettings(parseManagerEnv({ VIREO_CONFIG: file, VIREO_OIDC_NAME: 'Authentik' }))?.name, 'Authentik');
  writeFileSync(file, '{ not json');
  assert.throws(() => parseManagerEnv({ VIREO_CONFIG: file }), /Cannot read the manager's config file/);
});

test('flow cookie: read back within its time, refused after or when tampered into garbage', () => {
  const secrets = { state: 's'.repeat(43), nonce: 'n'.repeat(43), verifier: 'v'.repeat(43) };
  const now = 1_800_000_000_000;
  const value = flowCookie(secrets, '/vms', now, false).split(';')[0]?.split('=')[1];
  assert.equal(readFlow(value, now + 1000)?.state, secrets.state);
  assert.equal(readFlow(value, now + (FLOW_TTL_S + 1) * 1000), null);
  assert.equal(readFlow('not-base64-json', now), null);
  assert.equal(readFlow(undefined, now), null);
  assert.match(flowCookie(secrets, '/', now, true), /^__Host-vireo_oidc=.*; Secure$/);
});

test('the path after login stays on this origin and off the login page', () => {
  assert.equal(safeNext('/vms?x=1'), '/vms?x=1');
  for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', '/login', '/a b', null])
    assert.equal(safeNext(bad), '/', String(bad));
});
