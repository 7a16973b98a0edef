// vms.page: paging, sorting with a stable tiebreak, filters, all in the database.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { clusters, templates, users, vmSeed, vms } = db;
after(teardown);

const COUNT = 300;
let seed: { hostId: string; count: number };
let alice: string;
let bob: string;
let templateId: string;

before(async () => {
  const clusterId = (await clusters.ensure('Default', 'Default')).id;
  alice = (await users.create({ username: 'alice', password: 'pw-alice', role: 'user' })).id;
  bob = (await users.create({ username: 'bob', password: 'pw-bob', role: 'user' })).id;
  templateId = (
    await templates.upsert({
      name: 'tiny',
      description: '',
      kernelPath: '/k',
      initrdPath: '/i',
      diskPath: '/d',
      cmdline: '',
      defaultVcpus: 1,
      defaultMemoryMiB: 128,
    })
  ).id;
  seed = await vmSeed.seedVms({ prefix: 'seed', count: COUNT, clusterId, templateId, ownerIds: [alice, bob] });
});

const base = { offset: 0, limit: 50, sort: 'name', dir: 'asc' } as const;

test('pages cover every row once, in order, with the total', async () => {
  assert.equal(seed.count, COUNT);
  const seen: string[] = [];
  for (let offset = 0; offset < COUNT + 50; offset += 70) {
    const page = await vms.page({ ...base, offset, limit: 70 });
    assert.equal(page.total, COUNT);
    seen.push(...page.rows.map((v) => v.name));
  }
  assert.equal(new Set(seen).size, COUNT, 'no row twice, none missing');
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
  );
});

test('every sort is total and stable: ties by id, desc reverses asc', async () => {
  for (const sort of vms.VM_SORT_KEYS) {
    const asc = (await vms.page({ ...base, sort, limit: COUNT })).rows;
    const desc = (await vms.page({ ...base, sort, dir: 'desc', limit: COUNT })).rows;
    assert.equal(asc.length, COUNT, sort);
    assert.deepEqual(
      desc.map((v) => v.id),
      asc.map((v) => v.id).reverse(),
      `${sort}: desc is asc reversed`,
    );
    const paged = [
      ...(await vms.page({ ...base, sort, limit: 120 })).rows,
      ...(await vms.page({ ...base, sort, offset: 120, limit: 200 })).rows,
    ];
    assert.deepEqual(
      paged.map((v) => v.id),
      asc.map((v) => v.id),
      `${sort}: pages agree with one read`,
    );
  }
  const byMemory = (await vms.page({ ...base, sort: 'memory', limit: COUNT })).rows.map((v) => v.memoryMiB);
  assert.deepEqual(
    byMemory,
    [...byMemory].sort((a, b) => a - b),
  );
});

test('filters: name any case, literal "_" and "%", states, host, owner; total follows the filter', async () => {
  const db = (await vms.page({ ...base, name: 'db', limit: 500 })).rows;
  assert.equal(db.length, COUNT / 3);
  assert.ok(db.every((v) => v.name.includes('-DB-')));
  // -DB-00010, -00013, -00016, -00019 (DB names are i % 3 === 1).
  assert.equal((await vms.page({ ...base, name: 'Db-0001' })).total, 4);
  assert.equal((await vms.page({ ...base, name: '_' })).total, 0, '"_" is not a wildcard');
  assert.equal((await vms.page({ ...base, name: '%' })).total, 0, '"%" is not a wildcard');
  assert.equal((await vms.page({ ...base, name: 'seed\\' })).total, 0, 'a backslash escapes nothing');

  const running = await vms.page({ ...base, states: ['running', 'paused'], limit: 500 });
  assert.equal(running.total, (COUNT * 4) / 10);
  assert.ok(running.rows.every((v) => v.state === 'running' || v.state === 'paused'));

  const own = await vms.page({ ...base, ownerId: alice, name: 'web', limit: 500 });
  assert.equal(own.total, COUNT / 6);
  assert.ok(own.rows.every((v) => v.ownerId === alice && v.name.includes('web')));
  assert.equal((await vms.page({ ...base, hostId: seed.hostId })).total, COUNT);
  assert.equal((await vms.page({ ...base, hostId: 'nope' })).total, 0);
  assert.equal((await vms.page({ ...base, offset: COUNT })).rows.length, 0, 'past the end: empty page');
});

test('renames keep nameKey: found by the new name in any case', async () => {
  const vm = await vms.create({
    uuid: randomUUID(),
    name: 'Mixed',
    templateId,
    ownerId: alice,
    vcpus: 1,
    memoryMiB: 64,
  });
  const under = await vms.create({
    uuid: randomUUID(),
    name: 'my_vm',
    templateId,
    ownerId: alice,
    vcpus: 1,
    memoryMiB: 64,
  });
  assert.deepEqual(
    (await vms.page({ ...base, name: 'Y_V' })).rows.map((v) => v.name),
    ['my_vm'],
    'a literal "_"',
  );
  assert.equal((await vms.page({ ...base, name: 'mixed' })).total, 1);
  await vms.applyFacts(vm.uuid, { name: 'Renamed-X', vcpus: 1, memoryMiB: 64 });
  assert.equal((await vms.page({ ...base, name: 'renamed-x' })).rows[0]?.id, vm.id);
  assert.equal((await vms.page({ ...base, name: 'mixed' })).total, 0);
  await vms.delete(vm.id);
  await vms.delete(under.id);
  assert.equal(await vmSeed.removeSeed(seed.hostId), COUNT);
  assert.equal((await vms.page(base)).total, 0);
});
