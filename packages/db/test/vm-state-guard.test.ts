/**
 * A host's report is applied only to VMs still recorded on that host: the rows of a run of
 * events are read first, and a migration finishing meanwhile moves the VM (its source then
 * reports it stopped and undefined).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb, testHost, testTemplate } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { clusters, users, vms } = db;
after(teardown);

test('states and start times reported by a host the VM has left change nothing', async () => {
  const cluster = await clusters.ensure('Default', 'Default');
  const mkHost = (hostname: string) => testHost(db, hostname, cluster.id);
  const source = await mkHost('guard-src');
  const target = await mkHost('guard-dst');
  const owner = await users.create({ username: 'guardowner', password: 'pw-guard-owner-1', role: 'admin' });
  const template = await testTemplate(db, 'guard-t');
  const vm = await vms.create({
    uuid: randomUUID(),
    name: 'guard-vm',
    hostId: target.id,
    templateId: template.id,
    ownerId: owner.id,
    vcpus: 1,
    memoryMiB: 64,
  });
  await vms.updateState(vm.uuid, 'running', 'migrated');
  const started = new Date(Date.now() - 60_000);
  assert.equal(await vms.setStartedAt([{ uuid: vm.uuid, startedAt: started }], target.id), 1);

  // The source's late report: not applied.
  assert.equal(await vms.setStates([vm.uuid], 'unknown', 'undefined outside Vireo', source.id), 0);
  assert.equal(await vms.setStartedAt([{ uuid: vm.uuid, startedAt: null }], source.id), 0);
  const row = await vms.byId(vm.id);
  assert.equal(row?.state, 'running');
  assert.equal(row?.startedAt?.getTime(), started.getTime());

  // Its own host's report is.
  assert.equal(await vms.setStates([vm.uuid], 'paused', 'user', target.id), 1);
  assert.equal((await vms.byId(vm.id))?.state, 'paused');
});
