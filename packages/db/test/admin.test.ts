// Enrollment tokens (list, revoke, no silent re-enrollment) and user administration (disable,
// delete with reassignment, password reset, last-admin guard), against a migrated database (SQLite or PostgreSQL, see helpers.ts).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { clusters, enrollment, hashToken, hosts, sessions, templates, users, vms } = db;

let clusterId: string;
after(teardown);
before(async () => {
  clusterId = (await clusters.ensure('Default', 'Default')).id;
});

const HOUR = 3600_000;
function facts(uuid: string, credential: string) {
  return {
    libvirtHostUuid: uuid,
    hostname: `h-${uuid.slice(0, 4)}`,
    cpuCount: 0,
    cpuModel: '',
    memoryBytes: 0,
    memoryFreeBytes: 0,
    libvirtVersion: '',
    qemuVersion: '',
    domainTypes: [],
    credentialHash: hashToken(credential),
  };
}

describe('enrollment', () => {
  test('an enrolled host UUID is not re-enrolled without a re-install grant; the token stays unused', async () => {
    const uuid = randomUUID();
    const first = await enrollment.consume((await enrollment.create(clusterId, HOUR)).token, facts(uuid, 'cred-1'));
    assert.ok(first.ok);
    const { token } = await enrollment.create(clusterId, HOUR);
    const refused = await enrollment.consume(token, facts(uuid, 'cred-2'));
    assert.deepEqual(refused, { ok: false, reason: 'enrolled', hostId: first.host.id, hostName: first.host.name });
    assert.equal((await hosts.byCredentialHash(hashToken('cred-1')))?.id, first.host.id, 'old credential kept');
    assert.equal(await hosts.byCredentialHash(hashToken('cred-2')), null);

    // An expired grant does not count.
    await enrollment.setReinstallAllowed(first.host.id, new Date(Date.now() - 1000));
    assert.equal((await enrollment.consume(token, facts(uuid, 'cred-2'))).ok, false);

    await enrollment.setReinstallAllowed(first.host.id, new Date(Date.now() + HOUR));
    assert.deepEqual(
      (await enrollment.pendingReinstalls()).map((r) => r.hostId),
      [first.host.id],
    );
    const again = await enrollment.consume(token, facts(uuid, 'cred-2'));
    assert.ok(again.ok && again.reinstalled);
    assert.equal(again.host.id, first.host.id, 'same host identity');
    assert.equal(await hosts.byCredentialHash(hashToken('cred-1')), null, 'old credential gone');
    assert.equal((await hosts.byCredentialHash(hashToken('cred-2')))?.id, first.host.id);
    assert.deepEqual(await enrollment.pendingReinstalls(), [], 'the grant is spent');
    const third = await enrollment.consume((await enrollment.create(clusterId, HOUR)).token, facts(uuid, 'cred-3'));
    assert.equal(third.ok, false);
  });

  test('tokens are listed without secrets, with status; a revoked token cannot enroll', async () => {
    const admin = await users.create({ username: 'tokadmin', password: 'pw-tokadmin', role: 'admin' });
    const { id, token } = await enrollment.create(clusterId, HOUR, admin.id);
    const listed = (await enrollment.list()).find((t) => t.id === id);
    assert.ok(listed);
    assert.equal(listed.status, 'valid');
    assert.equal(listed.createdByName, 'tokadmin');
    assert.ok(!JSON.stringify(listed).includes(token), 'the secret is never listed');
    assert.equal(await enrollment.revoke(id), true);
    assert.equal((await enrollment.list()).find((t) => t.id === id)?.status, 'revoked');
    assert.deepEqual(await enrollment.consume(token, facts(randomUUID(), 'cred-r')), { ok: false, reason: 'token' });
    assert.equal(await enrollment.revoke('no-such-token'), false);
  });
});

describe('users', () => {
  let templateId: string;
  before(async () => {
    templateId = (
      await templates.upsert({
        name: 'tiny',
        description: '',
        kernelPath: '/k',
        initrdPath: '/i',
        diskPath: '/d.qcow2',
        cmdline: '',
        defaultVcpus: 1,
        defaultMemoryMiB: 128,
      })
    ).id;
  });

  test('disable ends sessions and refuses them; enable again', async () => {
    const u = await users.create({ username: 'dis', password: 'pw-dis-123', role: 'user' });
    const { token } = await sessions.create(u.id);
    assert.ok(await sessions.findValid(token));
    const r = await users.setDisabled(u.id, true);
    assert.ok(r.ok && r.sessionIds.length === 1);
    assert.equal(await sessions.findValid(token), null);
    // A session that slipped in (login racing the disable) is refused too.
    const late = await sessions.create(u.id);
    assert.equal(await sessions.findValid(late.token), null);
    assert.ok((await users.byId(u.id))?.disabledAt);
    assert.ok((await users.setDisabled(u.id, false)).ok);
    assert.equal((await users.byId(u.id))?.disabledAt, null);
    assert.ok(await sessions.findValid(late.token));
  });

  test('a new password ends all sessions; revokeSessions too', async () => {
    const u = await users.create({ username: 'pwd', password: 'pw-old-123', role: 'user' });
    const a = await sessions.create(u.id);
    assert.equal((await users.setPassword(u.id, 'pw-new-123')).sessionIds.length, 1);
    assert.equal(await sessions.findValid(a.token), null);
    const b = await sessions.create(u.id);
    assert.deepEqual((await users.revokeSessions(u.id)).sessionIds.length, 1);
    assert.equal(await sessions.findValid(b.token), null);
  });

  test('the last enabled admin cannot be disabled, demoted or deleted', async () => {
    const root = await users.create({ username: 'root1', password: 'pw-root-123', role: 'admin' });
    // Only enabled admins count: disable every other admin.
    for (const u of await users.list()) if (u.role === 'admin' && u.id !== root.id) await users.setDisabled(u.id, true);
    const other = await users.create({ username: 'root2', password: 'pw-root-123', role: 'admin' });
    assert.ok((await users.setDisabled(other.id, true)).ok);
    assert.deepEqual(await users.setDisabled(root.id, true), { ok: false, reason: 'last-admin' });
    assert.deepEqual(await users.setRole(root.id, 'user'), { ok: false, reason: 'last-admin' });
    assert.deepEqual(await users.delete(root.id), { ok: false, reason: 'last-admin' });
    assert.ok((await users.setDisabled(other.id, false)).ok);
    assert.ok((await users.setRole(root.id, 'user')).ok, 'with another enabled admin it is allowed');
  });

  test('two admins disabled at the same moment: one of them stays enabled', async () => {
    // Read-check-write under concurrency: on PostgreSQL this needs SERIALIZABLE (READ COMMITTED
    // would let both checks see the other admin still enabled).
    for (const u of await users.list()) if (u.role === 'admin') await users.setDisabled(u.id, true).catch(() => {});
    const a = await users.create({ username: 'race-a', password: 'pw-race-123', role: 'admin' });
    const b = await users.create({ username: 'race-b', password: 'pw-race-123', role: 'admin' });
    for (const u of await users.list())
      if (u.role === 'admin' && u.id !== a.id && u.id !== b.id) await users.setDisabled(u.id, true);
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all([users.setDisabled(a.id, true), users.setDisabled(b.id, true)]);
      assert.equal(results.filter((r) => r.ok).length, 1, `round ${round}: ${JSON.stringify(results)}`);
      assert.deepEqual(
        results.find((r) => !r.ok),
        { ok: false, reason: 'last-admin' },
      );
      assert.ok((await users.setDisabled(a.id, false)).ok && (await users.setDisabled(b.id, false)).ok);
    }
  });

  test('delete is refused while the user owns VMs, and works with reassignment', async () => {
    const bob = await users.create({ username: 'bob', password: 'pw-bob-123', role: 'user' });
    const carol = await users.create({ username: 'carol', password: 'pw-carol-123', role: 'user' });
    const vm = await vms.create({
      uuid: randomUUID(),
      name: 'bobs-vm',
      templateId,
      ownerId: bob.id,
      vcpus: 1,
      memoryMiB: 128,
    });
    assert.deepEqual(await users.delete(bob.id), { ok: false, reason: 'owns-vms', vmCount: 1 });
    assert.deepEqual(await users.delete(bob.id, 'nobody'), { ok: false, reason: 'no-new-owner' });
    assert.ok((await users.delete(bob.id, carol.id)).ok);
    assert.equal(await users.byId(bob.id), null);
    assert.equal((await vms.byId(vm.id))?.ownerId, carol.id);
    const listed = (await users.listWithCounts()).find((u) => u.id === carol.id);
    assert.equal(listed?.vmCount, 1);
  });
});
