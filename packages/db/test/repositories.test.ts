import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setupTestDb, testProvider } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { clusters, enrollment, events, hashToken, hosts, managers, sessions, tasks, templates, users, vms } = db;

let clusterId: string;
let ownerId: string;
let templateId: string;

before(async () => {
  clusterId = (await clusters.ensure('Default', 'Default')).id;
  ownerId = (await users.create({ username: 'alice', password: 'pw-alice', role: 'user' })).id;
  templateId = (
    await templates.upsert({
      name: 'tiny',
      description: '',
      kernelPath: '/img/vmlinuz',
      initrdPath: '/img/initrd',
      diskPath: '/img/base.qcow2',
      cmdline: 'console=ttyS0',
      defaultVcpus: 1,
      defaultMemoryMiB: 128,
    })
  ).id;
});
after(teardown);

const GiB = 1024 ** 3;
function facts(uuid: string, hostname: string) {
  return {
    libvirtHostUuid: uuid,
    hostname,
    cpuCount: 8,
    cpuModel: 'Skylake',
    memoryBytes: 64 * GiB, // > 2^32: exercises BigInt <-> number
    memoryFreeBytes: 48 * GiB,
    libvirtVersion: '10.0.0',
    qemuVersion: '8.2.2',
    domainTypes: ['kvm', 'qemu'],
  };
}

test(`the ${testProvider} connection is set up as the repositories expect`, async () => {
  if (testProvider === 'sqlite') {
    // WAL mode with foreign keys on.
    const [mode] = await db.getDb().$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
    assert.equal(mode?.journal_mode, 'wal');
    const [fk] = await db.getDb().$queryRawUnsafe<{ foreign_keys: bigint | number }[]>('PRAGMA foreign_keys');
    assert.equal(Number(fk?.foreign_keys), 1);
  } else {
    // PostgreSQL, and names sort by code point as on SQLite (the test database's C collation).
    const [version] = await db.getDb().$queryRawUnsafe<{ server_version_num: string }[]>('SHOW server_version_num');
    assert.ok(Number(version?.server_version_num) >= 150000);
    const rows = await db
      .getDb()
      .$queryRawUnsafe<{ n: string }[]>(`SELECT n FROM (VALUES ('b'), ('B'), ('a-1'), ('a1')) AS t(n) ORDER BY n`);
    assert.deepEqual(
      rows.map((r) => r.n),
      ['B', 'a-1', 'a1', 'b'],
    );
  }
});

describe('users', () => {
  test('duplicate username is a DbConflictError on username', async () => {
    await assert.rejects(users.create({ username: 'alice', password: 'x', role: 'user' }), (err) => {
      assert.ok(db.DbConflictError.is(err));
      assert.equal(err.code, 'DB_CONFLICT');
      assert.deepEqual(err.fields, ['username']);
      return true;
    });
  });

  test('byUsername returns the hash for login', async () => {
    const alice = await users.byUsername('alice');
    assert.ok(alice);
    assert.equal(await db.verifyPassword('pw-alice', alice.passwordHash), true);
  });
});

describe('sessions', () => {
  test('stores only the SHA-256 of the token', async () => {
    const { token, expiresAt } = await sessions.create(ownerId);
    assert.ok(expiresAt > new Date());
    const rows = await db.getDb().session.findMany({ select: { id: true } });
    assert.ok(rows.some((r) => r.id === hashToken(token)));
    assert.ok(rows.every((r) => r.id !== token));
    const found = await sessions.findValid(token);
    assert.equal(found?.user.username, 'alice');
    assert.equal(found?.user.role, 'user');
    await sessions.delete(token);
    assert.equal(await sessions.findValid(token), null);
  });

  test('expired and unknown tokens are not valid', async () => {
    const { token } = await sessions.create(ownerId, -1000);
    assert.equal(await sessions.findValid(token), null);
    assert.equal(await sessions.findValid('no-such-token'), null);
    assert.ok((await sessions.deleteExpired()) >= 1);
  });
});

describe('enrollment and hosts', () => {
  test('a token enrolls exactly one host, then is spent', async () => {
    const { token } = await enrollment.create(clusterId, 3600_000);
    const credentialHash = hashToken('agent-credential-1');
    const result = await enrollment.consume(token, { ...facts(randomUUID(), 'node1'), credentialHash });
    assert.ok(result.ok);
    const { host } = result;
    // Enrolled, but no agent connected to any manager yet: not online.
    assert.equal(host.status, 'offline');
    assert.equal(host.clusterName, 'Default');
    assert.equal(host.memoryBytes, 64 * GiB);
    assert.deepEqual(host.domainTypes, ['kvm', 'qemu']);
    assert.deepEqual(await enrollment.consume(token, facts(randomUUID(), 'node2')), { ok: false, reason: 'token' });
    assert.equal((await hosts.byCredentialHash(credentialHash))?.id, host.id);
  });

  test('expired tokens are refused', async () => {
    const { token } = await enrollment.create(clusterId, -1);
    assert.deepEqual(await enrollment.consume(token, facts(randomUUID(), 'late')), { ok: false, reason: 'token' });
  });

  test('reconnect refreshes facts but keeps name; stats, leases and offline marking', async () => {
    const uuid = randomUUID();
    await managers.register({ id: 'manager-a', internalUrl: 'http://127.0.0.1:1', hostname: 'a' });
    const first = await hosts.upsertOnConnect({
      ...facts(uuid, 'node3'),
      clusterId,
      name: 'rack-3',
      managerId: 'manager-a',
    });
    assert.equal(first.status, 'online');
    assert.equal(first.managerId, 'manager-a');
    const again = await hosts.upsertOnConnect({ ...facts(uuid, 'node3.lab'), clusterId, qemuVersion: '9.0.0' });
    assert.equal(again.id, first.id);
    assert.equal(again.name, 'rack-3');
    assert.equal(again.hostname, 'node3.lab');
    assert.equal(again.qemuVersion, '9.0.0');

    await hosts.updateStats(first.id, { memoryFreeBytes: 5 * GiB, cpuUsagePercent: 12.5 });
    const stats = await hosts.byId(first.id);
    assert.equal(stats?.memoryFreeBytes, 5 * GiB);
    assert.equal(stats?.cpuUsagePercent, 12.5);

    // A lease is released only by the manager holding it.
    assert.equal(await hosts.releaseLease(first.id, 'manager-b'), false);
    assert.deepEqual(await hosts.markOfflineHeldBy(['manager-b']), []);
    assert.ok((await hosts.markOfflineHeldBy(['manager-a'])).includes(first.id));
    assert.equal((await hosts.byId(first.id))?.status, 'offline');
    await hosts.claimLease(first.id, 'manager-a');
    assert.ok((await hosts.list()).some((h) => h.id === first.id && h.status === 'online'));
    assert.equal(await hosts.releaseLease(first.id, 'manager-a'), true);
    assert.equal((await hosts.byId(first.id))?.managerId, null);
    await assert.rejects(hosts.setStatus('missing', 'online'), (err) => db.DbNotFoundError.is(err));
  });
});

describe('vms', () => {
  const vmInput = (name: string, hostId: string | null = null) => ({
    uuid: randomUUID(),
    name,
    templateId,
    ownerId,
    vcpus: 1,
    memoryMiB: 256,
    hostId,
  });

  test('duplicate name surfaces as DbConflictError on name', async () => {
    await vms.create(vmInput('dup'));
    await assert.rejects(vms.create(vmInput('dup')), (err) => {
      assert.ok(db.DbConflictError.is(err));
      assert.ok(db.DbError.is(err, 'DB_CONFLICT'));
      assert.deepEqual(err.fields, ['name']);
      assert.equal(err.model, 'Vm');
      return true;
    });
  });

  test('list carries host/template/owner names, ordered by name', async () => {
    const host = await hosts.upsertOnConnect({ ...facts(randomUUID(), 'node-list'), clusterId });
    await vms.create(vmInput('zeta', host.id));
    await vms.create(vmInput('alpha', host.id));
    const names = (await vms.list()).map((v) => v.name);
    assert.deepEqual(names, [...names].sort());
    const alpha = await vms.byName('alpha');
    assert.equal(alpha?.hostName, 'node-list');
    assert.equal(alpha?.templateName, 'tiny');
    assert.equal(alpha?.ownerName, 'alice');
    assert.equal(alpha?.hostStatus, 'online');
    assert.equal((await hosts.byId(host.id))?.vmCount, 2);
    assert.equal(alpha?.state, 'creating');
    const load = (await vms.countByHost()).find((l) => l.hostId === host.id);
    assert.deepEqual(load, { hostId: host.id, vmCount: 2, memoryMiB: 512, vcpus: 2 });
  });

  test('updateState reports whether the state changed', async () => {
    const vm = await vms.create(vmInput('stateful'));
    const first = await vms.updateState(vm.uuid, 'running', 'booted');
    assert.equal(first?.changed, true);
    assert.equal(first?.vm.state, 'running');
    assert.equal(first?.vm.stateReason, 'booted');
    const second = await vms.updateState(vm.uuid, 'running');
    assert.equal(second?.changed, false);
    assert.equal(await vms.updateState(randomUUID(), 'running'), null);
  });

  test('deleting a host keeps its VMs (hostId becomes null)', async () => {
    const host = await hosts.upsertOnConnect({ ...facts(randomUUID(), 'doomed'), clusterId });
    const vm = await vms.create(vmInput('survivor', host.id));
    assert.equal(await hosts.delete(host.id), true);
    const after = await vms.byId(vm.id);
    assert.equal(after?.hostId, null);
    assert.equal(after?.hostName, null);
    await vms.setHost(vm.id, null);
    assert.equal(await vms.delete(vm.id), true);
    assert.equal(await vms.delete(vm.id), false);
  });
});

describe('tasks', () => {
  test('same idempotencyKey returns the existing task', async () => {
    const a = await tasks.create({ kind: 'vm.start', ownerId, idempotencyKey: 'req-1' });
    const b = await tasks.create({ kind: 'vm.start', ownerId, idempotencyKey: 'req-1' });
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.equal(b.task.id, a.task.id);
  });

  test('concurrent creates with one key yield one task', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => tasks.create({ kind: 'vm.create', idempotencyKey: 'req-race' })),
    );
    assert.equal(new Set(results.map((r) => r.task.id)).size, 1);
    assert.equal(results.filter((r) => r.created).length, 1);
  });

  test('lifecycle; a finished task is immutable', async () => {
    const { task } = await tasks.create({ kind: 'vm.shutdown' });
    assert.equal(task.state, 'queued');
    assert.ok((await tasks.listUnfinished()).some((t) => t.id === task.id));
    assert.equal((await tasks.listUnfinished({ vmId: 'other' })).length, 0);
    assert.equal(await tasks.markRunning(task.id), true);
    assert.equal(await tasks.progress(task.id, 140, 'almost'), true);
    assert.equal((await tasks.byId(task.id))?.progress, 100);
    assert.equal(await tasks.fail(task.id, { code: 'HOST_UNREACHABLE', message: 'agent gone' }), true);
    assert.equal(await tasks.succeed(task.id), false);
    assert.equal(await tasks.progress(task.id, 10), false);
    const done = await tasks.byId(task.id);
    assert.equal(done?.state, 'failed');
    assert.equal(done?.errorCode, 'HOST_UNREACHABLE');
    assert.ok(done?.startedAt && done.finishedAt);
    assert.ok(!(await tasks.listUnfinished()).some((t) => t.id === task.id));
    assert.equal((await tasks.listRecent({ limit: 1 }))[0]?.id, task.id);
  });
});

test('events are listed newest first', async () => {
  await events.add({ severity: 'info', kind: 'test.one', message: 'one', at: new Date(Date.now() - 1000) });
  await events.add({ severity: 'warning', kind: 'test.two', message: 'two' });
  const recent = await events.listRecent({ limit: 2 });
  assert.deepEqual(
    recent.map((e) => e.kind),
    ['test.two', 'test.one'],
  );
});
