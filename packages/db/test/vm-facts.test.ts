import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { DbConflictError, templates, users, vms } = db;
after(teardown);

test('applyFacts: records libvirt’s name, vCPUs and memory; a taken name is a conflict', async () => {
  const ownerId = (await users.create({ username: 'bob', password: 'pw-bob', role: 'user' })).id;
  const templateId = (
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
  const make = (name: string) =>
    vms.create({ uuid: randomUUID(), name, templateId, ownerId, vcpus: 1, memoryMiB: 128, state: 'shutoff' });
  const a = await make('a');
  await make('b');

  assert.equal(await vms.applyFacts(a.uuid, { name: 'a', vcpus: 1, memoryMiB: 128 }), false, 'nothing new');
  assert.equal(await vms.applyFacts(a.uuid, { name: 'a2', vcpus: 2, memoryMiB: 192 }), true);
  const after1 = await vms.byUuid(a.uuid);
  assert.deepEqual([after1?.name, after1?.vcpus, after1?.memoryMiB], ['a2', 2, 192]);
  await assert.rejects(
    vms.applyFacts(a.uuid, { name: 'b', vcpus: 2, memoryMiB: 192 }),
    (e) => e instanceof DbConflictError,
  );
  assert.equal((await vms.byUuid(a.uuid))?.name, 'a2');
  assert.equal(await vms.applyFacts(randomUUID(), { name: 'c', vcpus: 1, memoryMiB: 1 }), false, 'unknown uuid');
});
