/** Affinity groups: unique names, membership, and members leaving with their VM. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb, testHost, testTemplate, testVm } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { affinityGroups, clusters, hosts, templates, users, vms, DbConflictError } = db;
after(teardown);

test('groups keep members with their hosts; a deleted VM leaves its groups', async () => {
  const cluster = await clusters.ensure('Default', 'Default');
  const host = await hosts.upsertOnConnect({
    libvirtHostUuid: randomUUID(),
    hostname: 'aff-h1',
    cpuCount: 2,
    cpuModel: 'Fake',
    memoryBytes: 4 * 1024 ** 3,
    memoryFreeBytes: 2 * 1024 ** 3,
    libvirtVersion: '9.0.0',
    qemuVersion: '7.2.0',
    domainTypes: ['qemu'],
    clusterId: cluster.id,
  });
  const owner = await users.create({ username: 'affowner', password: 'pw-aff-owner-1', role: 'admin' });
  const template = await templates.upsert({
    name: 'aff-t',
    description: '',
    kernelPath: '/k',
    initrdPath: '/i',
    diskPath: '/d.qcow2',
    cmdline: '',
    defaultVcpus: 1,
    defaultMemoryMiB: 128,
  });
  const mk = (name: string) => testVm(db, name, { hostId: host.id, templateId: template.id, ownerId: owner.id });
  const a = await mk('aff-a');
  const b = await mk('aff-b');

  const group = await affinityGroups.create({ name: 'web', kind: 'anti-affinity', hard: true });
  await assert.rejects(affinityGroups.create({ name: 'web', kind: 'affinity', hard: false }), DbConflictError);
  assert.equal(await affinityGroups.addVms(group.id, [a.id, b.id]), 2);
  assert.equal(await affinityGroups.addVms(group.id, [a.id]), 0, 'already a member');
  const listed = await affinityGroups.byId(group.id);
  assert.deepEqual(
    listed?.members.map((m) => [m.vmName, m.hostName]),
    [
      ['aff-a', 'aff-h1'],
      ['aff-b', 'aff-h1'],
    ],
  );
  assert.deepEqual(await affinityGroups.groupIdsOf(a.id), [group.id]);

  await affinityGroups.setHosts(group.id, [host.id, host.id]);
  assert.deepEqual((await affinityGroups.byId(group.id))?.hosts, [{ hostId: host.id, hostName: 'aff-h1' }]);
  await affinityGroups.setHosts(group.id, []);
  assert.deepEqual((await affinityGroups.byId(group.id))?.hosts, []);

  await vms.delete(a.id);
  assert.deepEqual(
    (await affinityGroups.byId(group.id))?.members.map((m) => m.vmName),
    ['aff-b'],
  );
  assert.equal(await affinityGroups.removeVms(group.id, [b.id]), 1);
  assert.equal(await affinityGroups.delete(group.id), true);
  assert.equal(await affinityGroups.delete(group.id), false);
});

test('a younger member yields when an older one of a hard group breaks its host; soft groups never', async () => {
  const cluster = await clusters.ensure('Default', 'Default');
  const mkHost = (hostname: string) => testHost(db, hostname, cluster.id);
  const h1 = await mkHost('yield-h1');
  const h2 = await mkHost('yield-h2');
  const owner = await users.create({ username: 'yieldowner', password: 'pw-yield-owner-1', role: 'admin' });
  const template = await testTemplate(db, 'yield-t');
  const mk = (name: string, hostId: string) =>
    vms.create({
      uuid: randomUUID(),
      name,
      hostId,
      templateId: template.id,
      ownerId: owner.id,
      vcpus: 1,
      memoryMiB: 64,
    });
  const older = await mk('yield-old', h1.id);
  await new Promise((r) => setTimeout(r, 5)); // distinct creation times
  const younger = await mk('yield-young', h1.id);

  const anti = await affinityGroups.create({ name: 'yield-anti', kind: 'anti-affinity', hard: true });
  await affinityGroups.addVms(anti.id, [older.id, younger.id]);
  assert.equal(await affinityGroups.yieldsToOlderMember(younger.id), true, 'the younger gives way');
  assert.equal(await affinityGroups.yieldsToOlderMember(older.id), false, 'the older stays');
  await vms.setHost(younger.id, h2.id);
  assert.equal(await affinityGroups.yieldsToOlderMember(younger.id), false, 'apart: nothing to do');
  await affinityGroups.delete(anti.id);

  const together = await affinityGroups.create({ name: 'yield-aff', kind: 'affinity', hard: true });
  await affinityGroups.addVms(together.id, [older.id, younger.id]);
  assert.equal(await affinityGroups.yieldsToOlderMember(younger.id), true, 'apart in an affinity group');
  assert.equal(await affinityGroups.yieldsToOlderMember(older.id), false);
  await affinityGroups.delete(together.id);

  const soft = await affinityGroups.create({ name: 'yield-soft', kind: 'anti-affinity', hard: false });
  await vms.setHost(younger.id, h1.id);
  await affinityGroups.addVms(soft.id, [older.id, younger.id]);
  assert.equal(await affinityGroups.yieldsToOlderMember(younger.id), false, 'a soft group only weighs');
});
