/** Bulk VM writes and reads used where thousands of VMs meet one host report (scale). */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { clusters, hosts, templates, users, vms } = db;
after(teardown);

const facts = (hostname: string) => ({
  libvirtHostUuid: randomUUID(),
  hostname,
  cpuCount: 8,
  cpuModel: 'Fake',
  memoryBytes: 64 * 1024 ** 3,
  memoryFreeBytes: 48 * 1024 ** 3,
  libvirtVersion: '9.0.0',
  qemuVersion: '7.2.0',
  domainTypes: ['qemu'],
});

test('createMany keeps each state and reason; notOnHost finds VMs recorded elsewhere or nowhere', async () => {
  const clusterId = (await clusters.ensure('Default', 'Default')).id;
  const ownerId = (await users.create({ username: 'carol', password: 'pw-carol', role: 'user' })).id;
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
  const a = await hosts.upsertOnConnect({ ...facts('a'), clusterId });
  const b = await hosts.upsertOnConnect({ ...facts('b'), clusterId });
  // More than one chunk of 500 on host a.
  const inputs = Array.from({ length: 1203 }, (_, i) => ({
    uuid: randomUUID(),
    name: `bulk-${i}`,
    templateId,
    ownerId,
    vcpus: 1,
    memoryMiB: 128,
    hostId: i < 1200 ? a.id : i === 1200 ? b.id : null,
    state: i % 2 === 0 ? ('running' as const) : ('shutoff' as const),
    stateReason: i % 2 === 0 ? 'booted' : 'shutdown',
  }));
  assert.equal(await vms.createMany(inputs), 1203);
  const first = await vms.byName('bulk-0');
  assert.deepEqual([first?.state, first?.stateReason, first?.hostId], ['running', 'booted', a.id]);
  assert.equal((await vms.byName('bulk-1'))?.state, 'shutoff');
  assert.equal((await vms.list({ hostId: a.id })).length, 1200);
  const placed = await vms.allocations();
  assert.equal(placed.filter((v) => v.hostId === a.id).length, 1200);
  assert.ok(!placed.some((v) => v.uuid === inputs[1202]?.uuid), 'a VM on no host is not placed');
  const states = await vms.statesOnHost(b.id);
  assert.deepEqual(
    states.map((v) => [v.uuid, v.state]),
    [[inputs[1200]?.uuid, 'running']],
  );

  // Host a reports all 1203 domains plus one that is no Vireo VM.
  const reported = [...inputs.map((v) => v.uuid), randomUUID()];
  const elsewhere = await vms.notOnHost(reported, a.id);
  assert.deepEqual(elsewhere.map((v) => v.name).sort(), ['bulk-1200', 'bulk-1201', 'bulk-1202']);
  assert.deepEqual((await vms.notOnHost(reported, b.id)).length, 1202);
});

test('setStates moves only VMs whose state changes; byUuids, byIds and events.addMany in bulk', async () => {
  const [template] = await templates.list();
  const owner = await users.byUsername('carol');
  assert.ok(template && owner);
  const make = (name: string, state: 'running' | 'paused') => ({
    uuid: randomUUID(),
    name,
    templateId: template.id,
    ownerId: owner.id,
    vcpus: 1,
    memoryMiB: 128,
    state,
    stateReason: 'before',
  });
  const inputs = [make('s-1', 'running'), make('s-2', 'paused'), make('s-3', 'running')];
  await vms.createMany(inputs);
  const uuids = inputs.map((v) => v.uuid);
  const before = await vms.byUuids(uuids);
  assert.equal(before.length, 3);

  assert.equal(await vms.setStates(uuids, 'paused', 'user'), 2, 'the paused one does not change');
  const after = new Map((await vms.byIds(before.map((v) => v.id))).map((v) => [v.name, v]));
  assert.deepEqual(
    ['s-1', 's-2', 's-3'].map((n) => [after.get(n)?.state, after.get(n)?.stateReason]),
    [
      ['paused', 'user'],
      ['paused', 'before'],
      ['paused', 'user'],
    ],
  );
  const s2 = before.find((v) => v.name === 's-2');
  assert.equal(after.get('s-2')?.stateChangedAt.getTime(), s2?.stateChangedAt.getTime());

  const { events } = db;
  const vmId = after.get('s-1')?.id ?? null;
  assert.equal(
    await events.addMany([
      { severity: 'info', kind: 'vm.suspended', message: 'one', vmId },
      { severity: 'info', kind: 'vm.resumed', message: 'two', vmId },
    ]),
    2,
  );
  assert.equal(await events.addMany([]), 0);
  assert.deepEqual((await events.listRecent({ vmId: vmId ?? undefined })).map((e) => e.message).sort(), ['one', 'two']);
});
