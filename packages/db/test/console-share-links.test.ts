/** Console share links: stored hashed, expire, revoke, die with their maker's account and their VM. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setupTestDb, testHost, testTemplate, testVm } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { consoleShareLinks, clusters, users, vms, hashToken } = db;
after(teardown);

test('a link is found by its token until it expires or is revoked, and goes with its VM', async () => {
  const cluster = await clusters.ensure('Default', 'Default');
  const host = await testHost(db, 'share-h1', cluster.id);
  const template = await testTemplate(db, 'share-t');
  const owner = await users.create({ username: 'shareowner', password: 'pw-share-owner-1', role: 'user' });
  const vm = await testVm(db, 'share-vm', { hostId: host.id, templateId: template.id, ownerId: owner.id });

  const expiresAt = new Date(Date.now() + 15 * 60_000);
  const { token, view } = await consoleShareLinks.create({ vmId: vm.id, createdById: owner.id, expiresAt });
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(view.id, hashToken(token), 'the id is not the hash: it is shown in lists and audit entries');
  assert.equal(view.createdByName, 'shareowner');
  assert.equal(view.lastUsedAt, null);

  const found = await consoleShareLinks.findValid(token);
  assert.equal(found?.id, view.id);
  assert.ok((await consoleShareLinks.byId(view.id))?.lastUsedAt, 'last use stamped');
  assert.equal(await consoleShareLinks.findValid(`${token}x`), null, 'unknown');
  assert.equal(await consoleShareLinks.findValid(token, new Date(expiresAt.getTime() + 1)), null, 'expired');

  await users.setDisabled(owner.id, true);
  assert.equal(await consoleShareLinks.findValid(token), null, "the maker's account disabled");
  await users.setDisabled(owner.id, false);

  assert.equal(await consoleShareLinks.revoke(view.id), true);
  assert.equal(await consoleShareLinks.revoke(view.id), false, 'revoking twice is a no-op');
  assert.equal(await consoleShareLinks.findValid(token), null, 'revoked');
  assert.equal((await consoleShareLinks.forVm(vm.id)).length, 1, 'a revoked link is still listed');

  await vms.delete(vm.id);
  assert.equal(await consoleShareLinks.byId(view.id), null, 'the link died with its VM');
});
