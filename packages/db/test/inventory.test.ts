// The inventory's guarded writes and grouped counts, on SQLite (and PostgreSQL with
// VIREO_TEST_DATABASE=postgres): the guard is in the write, so a refused write changes nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb, testTemplate } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { clusters, hosts, inventory, users, vms } = db;
after(teardown);

async function fixture() {
  const home = await clusters.ensure('Default', 'Default');
  const ownerId = (await users.create({ username: `u-${randomUUID().slice(0, 8)}`, password: 'pw', role: 'user' })).id;
  const templateId = (await testTemplate(db, `t-${randomUUID().slice(0, 8)}`)).id;
  const host = await hosts.upsertOnConnect({
    libvirtHostUuid: randomUUID(),
    hostname: `h-${randomUUID().slice(0, 8)}`,
    cpuCount: 4,
    cpuModel: 'x',
    memoryBytes: 1024 ** 3,
    memoryFreeBytes: 1024 ** 3,
    libvirtVersion: '10',
    qemuVersion: '8',
    domainTypes: ['qemu'],
    clusterId: home.id,
  });
  const vm = (name: string, hostId: string | null) =>
    vms.create({ uuid: randomUUID(), name, templateId, ownerId, vcpus: 1, memoryMiB: 128, hostId });
  return { home, host, vm };
}

test('policies: defaults, partial update, typed read-back', async () => {
  const { home } = await fixture();
  assert.deepEqual(await clusters.policies(home.id), {
    cpuBaseline: '',
    migrationMaxDowntimeMs: 300,
    migrationBandwidthMiBs: 0,
    migrationParallelPerHost: 2,
    migrationAutoConverge: true,
    migrationPostCopy: false,
    placementPolicy: 'balanced',
    balancerMode: 'off',
    balancerCooldownMinutes: 30,
    balancerMaxMoves: 3,
    balancerThreshold: 5,
  });
  const after = await clusters.setPolicies(home.id, { placementPolicy: 'packed', migrationPostCopy: true });
  assert.equal(after.placementPolicy, 'packed');
  assert.equal(after.migrationPostCopy, true);
  assert.equal(after.migrationMaxDowntimeMs, 300);
  assert.equal(await clusters.policies('nope'), null);
});

test('guards: a datacenter with a cluster, a cluster with a host, a host with a VM stay put', async () => {
  const { home, host, vm } = await fixture();
  const dc = await inventory.createDatacenter(`dc-${randomUUID().slice(0, 6)}`);
  const { id: spare } = await inventory.createCluster(dc.id, 'spare');
  await assert.rejects(inventory.createCluster(dc.id, 'spare'), (e: unknown) => db.DbConflictError.is(e));

  assert.equal(await inventory.deleteDatacenterIfEmpty(dc.id), false);
  assert.deepEqual(await inventory.clustersOf(dc.id), { names: ['spare'], total: 1 });
  assert.equal(await inventory.deleteClusterIfEmpty(home.id), false);
  assert.ok((await inventory.clusterBlockers(home.id)).hosts.includes(host.name));

  const v = await vm(`vm-${randomUUID().slice(0, 6)}`, host.id);
  assert.equal(await inventory.moveHostIfEmpty(host.id, spare), false);
  assert.equal((await hosts.byId(host.id))?.clusterId, home.id);
  assert.deepEqual((await inventory.hostBlockers(host.id)).vms, [v.name]);

  await vms.delete(v.id);
  assert.equal(await inventory.moveHostIfEmpty(host.id, spare), true);
  assert.equal((await hosts.byId(host.id))?.clusterId, spare);
  assert.equal(await inventory.moveHostIfEmpty(host.id, home.id), true);
  assert.equal(await inventory.deleteClusterIfEmpty(spare), true);
  assert.equal(await inventory.deleteDatacenterIfEmpty(dc.id), true);
  assert.equal(await inventory.datacenterById(dc.id), null);
});

test('tree: VM counts per host from one grouped query; leaves by name', async () => {
  const { host, vm } = await fixture();
  const a = await vm(`b-${randomUUID().slice(0, 6)}`, host.id);
  const b = await vm(`a-${randomUUID().slice(0, 6)}`, host.id);
  await vm(`c-${randomUUID().slice(0, 6)}`, null);
  await vms.setStates([a.uuid], 'running', null);
  const t = await inventory.tree();
  const h = t.hosts.find((x) => x.id === host.id);
  assert.equal(h?.vmsTotal, 2);
  assert.equal(h?.vmsRunning, 1);
  assert.deepEqual(
    (await inventory.hostVms(host.id, 10)).map((x) => x.name),
    [b.name, a.name],
  );
  assert.equal((await inventory.hostVms(host.id, 1)).length, 1);
});
