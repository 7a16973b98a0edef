// A host removed with force: its VMs' records stay, hostless and `unknown`, with their disks;
// the host and its own pools go; a host without VMs is removed the same way.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb, testTemplate } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { clusters, hostRemoval, hosts, storagePools, users, vmDisks, vms } = db;
after(teardown);

async function host(clusterId: string) {
  return hosts.upsertOnConnect({
    libvirtHostUuid: randomUUID(),
    hostname: `h-${randomUUID().slice(0, 8)}`,
    cpuCount: 4,
    cpuModel: 'x',
    memoryBytes: 1024 ** 3,
    memoryFreeBytes: 1024 ** 3,
    libvirtVersion: '10',
    qemuVersion: '8',
    domainTypes: ['qemu'],
    clusterId,
  });
}

test('force: the VMs are orphaned (state unknown, reason host removed), keep their disks; the host and its pools go', async () => {
  const home = await clusters.ensure('Default', 'Default');
  const ownerId = (await users.create({ username: `u-${randomUUID().slice(0, 8)}`, password: 'pw', role: 'user' })).id;
  const templateId = (await testTemplate(db, `t-${randomUUID().slice(0, 8)}`)).id;
  const doomed = await host(home.id);
  const other = await host(home.id);
  const mk = (name: string, hostId: string) =>
    vms.create({ uuid: randomUUID(), name, templateId, ownerId, vcpus: 1, memoryMiB: 128, hostId, state: 'running' });
  const a = await mk('b-vm', doomed.id);
  const b = await mk('a-vm', doomed.id);
  const c = await mk('elsewhere', other.id);
  await storagePools.create({ name: 'local-x', path: '/x', scope: 'host', hostId: doomed.id, clusterId: null });
  await vmDisks.add(a.id, {
    position: 1,
    pool: 'local-x',
    volume: 'd1',
    path: '/x/d1',
    device: 'disk',
    bus: 'virtio',
    format: 'qcow2',
    sizeBytes: 1024,
    readOnly: false,
    owned: true,
  });

  assert.deepEqual(
    (await hostRemoval.vmsOn(doomed.id)).map((v) => v.name),
    ['a-vm', 'b-vm'],
  );
  const orphaned = await hostRemoval.removeForced(doomed.id);
  assert.deepEqual(
    orphaned?.map((v) => v.name),
    ['a-vm', 'b-vm'],
  );
  assert.equal(await hosts.byId(doomed.id), null);
  for (const id of [a.id, b.id]) {
    const vm = await vms.byId(id);
    assert.ok(vm, 'the record stays');
    assert.equal(vm.hostId, null);
    assert.equal(vm.state, 'unknown');
    assert.equal(vm.stateReason, hostRemoval.HOST_REMOVED_REASON);
  }
  const untouched = await vms.byId(c.id);
  assert.equal(untouched?.hostId, other.id);
  assert.equal(untouched?.state, 'running');
  assert.equal(await storagePools.byName('local-x'), null, 'the host’s own pool goes with it');
  assert.deepEqual(
    (await db.vmHardware.ofVm(a.id))?.disks.map((d) => d.volume),
    ['d1'],
    'the disk rows stay',
  );
  assert.equal(await hostRemoval.removeForced(doomed.id), null, 'gone already');
  // An empty host goes the same way, orphaning nothing.
  assert.deepEqual(await hostRemoval.removeForced((await host(home.id)).id), []);
});
