/**
 * Parallel migrations per host: the slot order (pure) and the wait on a real database (the
 * migrated SQLite test DB of packages/db/test, with VIREO_TEST_DATABASE=postgres PostgreSQL):
 * migrations started one by one, as several admins or managers would, respect the limit per
 * source and per target host, and a waiting one starts when an older one ends.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import type { MigrationSlotRow } from '@vireo/db';
import { setupTestDb } from '../../db/test/helpers.ts';

const { db, teardown } = await setupTestDb();
// Loaded after DATABASE_URL points at the test database.
const { busyHost, waitForSlot } = await import('../src/services/migration-slots.ts');
after(teardown);

const row = (taskId: string, sourceId: string, targetId: string, at: number): MigrationSlotRow => ({
  taskId,
  createdAt: new Date(at),
  sourceId,
  targetId,
});

test('a migration waits while older ones fill its source or its target; the oldest always goes', () => {
  const q = [row('t1', 'h1', 'h2', 1), row('t2', 'h1', 'h3', 2), row('t3', 'h3', 'h1', 3), row('t4', 'h2', 'h3', 4)];
  assert.equal(busyHost(q, 't1', 1), null);
  assert.equal(busyHost(q, 't2', 1), 'h1', 'h1 is the source of t1');
  assert.equal(busyHost(q, 't4', 1), 'h2', 'h2 is the target of t1');
  assert.equal(busyHost(q, 't2', 2), null, 'two at once from h1');
  assert.equal(busyHost(q, 't3', 2), 'h1', 'h1 has t1 and t2 already');
  assert.equal(busyHost(q, 't4', 2), 'h3', 'h2 has one (t1), h3 has two (t2, t3)');
  assert.equal(busyHost(q, 'gone', 1), null, 'a task no longer queued waits for nothing');
});

test('on the database: over the limit waits, named by host, and starts when a slot frees', async () => {
  const { clusters, hosts, managers, tasks, templates, users, vms } = db;
  const clusterId = (await clusters.ensure('Default', 'Default')).id;
  const ownerId = (await users.create({ username: 'admin', password: 'pw-admin', role: 'admin' })).id;
  const templateId = (
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
  await managers.register({ id: 'm1', internalUrl: 'http://127.0.0.1:1', hostname: 'm1' });
  const host = async (name: string) =>
    (
      await hosts.upsertOnConnect({
        libvirtHostUuid: randomUUID(),
        hostname: name,
        cpuCount: 4,
        cpuModel: 'x',
        memoryBytes: 8 * 1024 ** 3,
        memoryFreeBytes: 8 * 1024 ** 3,
        libvirtVersion: '10.0.0',
        qemuVersion: '8.2.2',
        domainTypes: ['qemu'],
        clusterId,
        managerId: 'm1',
      })
    ).id;
  const [h1, h2, h3] = [await host('h1'), await host('h2'), await host('h3')];
  const vm = async (name: string, hostId: string) =>
    (await vms.create({ uuid: randomUUID(), name, templateId, ownerId, vcpus: 1, memoryMiB: 128, hostId })).id;
  // Started one after the other (distinct creation times), as separate requests would be.
  const migrate = async (name: string, from: string, to: string) => {
    const { task } = await tasks.create({ kind: 'vm.migrate', vmId: await vm(name, from), hostId: to, ownerId });
    await new Promise((r) => setTimeout(r, 5));
    return task.id;
  };
  const a = await migrate('a', h1, h2);
  const b = await migrate('b', h1, h3);
  const c = await migrate('c', h3, h2);
  const queue = await db.migrationSlots.queue();
  assert.deepEqual(
    queue.map((m) => [m.taskId, m.sourceId, m.targetId]),
    [
      [a, h1, h2],
      [b, h1, h3],
      [c, h3, h2],
    ],
  );
  // Limit 1: a goes; b waits for h1 (a's source); c waits for h3 (b's target: b is older).
  assert.equal(busyHost(queue, a, 1), null);
  assert.equal(busyHost(queue, b, 1), h1);
  assert.equal(busyHost(queue, c, 1), h3);

  const waits: string[] = [];
  let started = false;
  const waitingB = waitForSlot(b, 1, (h) => waits.push(h), 'cancelled').then(() => {
    started = true;
  });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(started, false, 'b waits while a runs');
  assert.deepEqual(waits, [h1]);
  await tasks.markRunning(a);
  await tasks.succeed(a, 'done');
  await waitingB;
  assert.equal(started, true, 'b starts once a has ended');

  // A cancel asked while waiting ends the wait: c waits for b (h3) and is cancelled.
  await tasks.requestCancel(c);
  await assert.rejects(
    waitForSlot(c, 1, () => {}, 'cancelled while waiting'),
    /cancelled while waiting/,
  );
  // With a limit of 2 nothing waits.
  assert.equal(busyHost(await db.migrationSlots.queue(), c, 2), null);
});
