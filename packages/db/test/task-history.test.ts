import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { tasks, templates, users, vms } = db;
after(teardown);

test('a task keeps its VM’s name after the VM is deleted, and says who ran it', async () => {
  const owner = await users.create({ username: 'bob', password: 'pw-bob', role: 'user' });
  const template = await templates.upsert({
    name: 'tiny',
    description: '',
    kernelPath: '/img/vmlinuz',
    initrdPath: '/img/initrd',
    diskPath: '/img/base.qcow2',
    cmdline: '',
    defaultVcpus: 1,
    defaultMemoryMiB: 128,
  });
  const vm = await vms.create({
    uuid: randomUUID(),
    name: 'web-7',
    templateId: template.id,
    ownerId: owner.id,
    vcpus: 1,
    memoryMiB: 128,
    hostId: null,
  });
  const { task } = await tasks.create({ kind: 'vm.delete', vmId: vm.id, ownerId: owner.id });
  assert.equal(task.vmName, 'web-7');
  assert.equal(task.ownerName, 'bob');

  await vms.delete(vm.id);
  const after = await tasks.byId(task.id);
  assert.equal(after?.vmId, null, 'the foreign key is cleared with the VM');
  assert.equal(after?.vmName, 'web-7');
  assert.equal((await tasks.listRecent({ ownerId: owner.id }))[0]?.ownerName, 'bob');
});
