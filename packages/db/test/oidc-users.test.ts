// SSO accounts (issue 10): linked by issuer + subject, no usable password, and the groups
// claim's roles replaced at each login while roles granted by hand stay. SQLite or PostgreSQL
// (helpers.ts).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { oidcUsers, projects, roleBindings, users, verifyPassword, DbConflictError } = db;
after(teardown);

const ISSUER = 'https://sso.example.com/realms/main';

test('linked by issuer + subject; the same subject of another issuer is another account', async () => {
  const sub = randomUUID();
  const user = await oidcUsers.create({ issuer: ISSUER, subject: sub, username: `sso-${sub.slice(0, 8)}` });
  assert.equal((await oidcUsers.byLink(ISSUER, sub))?.id, user.id);
  assert.equal(await oidcUsers.byLink('https://other.example.com', sub), null);
  assert.ok(oidcUsers.hasNoLocalPassword(user.passwordHash));
  assert.equal(await verifyPassword('', user.passwordHash), false);
  await assert.rejects(oidcUsers.create({ issuer: ISSUER, subject: sub, username: `sso2-${sub.slice(0, 8)}` }), (err) =>
    DbConflictError.is(err),
  );
  assert.ok(await oidcUsers.usernameTaken(user.username));
});

test('groups: oidc bindings replaced, manual ones kept, admin from groups taken back', async () => {
  const sub = randomUUID();
  const user = await oidcUsers.create({ issuer: ISSUER, subject: sub, username: `g-${sub.slice(0, 8)}` });
  const p1 = await projects.create({ name: `p1-${sub.slice(0, 6)}` });
  const p2 = await projects.create({ name: `p2-${sub.slice(0, 6)}` });
  assert.equal(await oidcUsers.scopeIdByName('project', p1.name), p1.id);
  assert.equal(await oidcUsers.scopeIdByName('project', 'no-such-project'), null);

  // Another enabled admin, so the demotion below is not refused as the last admin's.
  await users.create({ username: `adm-${sub.slice(0, 8)}`, password: 'password-123', role: 'admin' });
  const first = await oidcUsers.applyGroups(user.id, {
    admin: true,
    bindings: [{ role: 'member', scopeKind: 'project', scopeId: p1.id }],
  });
  assert.equal(first.role, 'admin');
  // By hand: viewer on p2, and the same member binding on p1 (now the admin's, kept).
  await roleBindings.grant({ userId: user.id, role: 'viewer', scopeKind: 'project', scopeId: p2.id });
  await roleBindings.grant({ userId: user.id, role: 'member', scopeKind: 'project', scopeId: p1.id });
  await oidcUsers.applyGroups(user.id, {
    admin: false,
    bindings: [{ role: 'operator', scopeKind: 'system', scopeId: '' }],
  });
  const held = (await roleBindings.forUser(user.id)).map((b) => `${b.role}@${b.scopeKind}`).sort();
  assert.deepEqual(held, ['member@project', 'operator@system', 'viewer@project']);
  assert.equal((await users.byId(user.id))?.role, 'user');

  const second = await oidcUsers.applyGroups(user.id, { admin: false, bindings: [] });
  assert.equal(second.removed, 1);
  assert.deepEqual((await roleBindings.forUser(user.id)).map((b) => b.role).sort(), ['member', 'viewer']);

  // An admin role set by hand is not the groups' to take away.
  await oidcUsers.applyGroups(user.id, { admin: true, bindings: [] });
  await users.setRole(user.id, 'admin');
  await oidcUsers.applyGroups(user.id, { admin: false, bindings: [] });
  assert.equal((await users.byId(user.id))?.role, 'admin');
});
