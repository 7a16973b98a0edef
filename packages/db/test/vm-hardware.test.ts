import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { DbConflictError, templates, users, vmHardware, vms } = db;
after(teardown);

const disk = (position: number, extra: Partial<Parameters<typeof vmHardware.add>[1]['disks'][number]> = {}) => ({
  position,
  pool: 'default',
  volume: `v${position}.qcow2`,
  path: null,
  device: 'disk' as const,
  bus: 'virtio' as const,
  format: 'qcow2' as const,
  sizeBytes: 5 * 1024 ** 4, // past 2^32: BigInt in the table
  readOnly: false,
  owned: true,
  ...extra,
});

test('a VM’s hardware is recorded, completed, read back in order, and goes with the VM; MACs are unique', async () => {
  const ownerId = (await users.create({ username: 'hw', password: 'pw-hw', role: 'user' })).id;
  const templateId = (
    await templates.upsert({
      name: 'hw-tiny',
      description: '',
      kernelPath: '/k',
      initrdPath: '/i',
      diskPath: '/b.qcow2',
      cmdline: '',
      defaultVcpus: 1,
      defaultMemoryMiB: 128,
    })
  ).id;
  const make = (name: string) =>
    vms.create({ uuid: randomUUID(), name, templateId, ownerId, vcpus: 1, memoryMiB: 128, state: 'shutoff' });
  const a = await make('hw-a');
  const b = await make('hw-b');

  await vmHardware.add(a.id, {
    firmware: 'uefi',
    disks: [disk(1, { bus: 'sata' }), disk(0, { pool: null, volume: null, owned: false, sizeBytes: null })],
    nics: [
      { position: 1, network: 'n2', model: 'e1000', mac: '52:54:00:00:00:02' },
      { position: 0, network: 'n1', model: 'virtio', mac: '52:54:00:00:00:01' },
    ],
  });
  await vmHardware.setCreated(a.id, [
    { position: 0, path: '/vms/a.qcow2', sizeBytes: 1024 },
    { position: 1, path: '/pool/v1.qcow2', sizeBytes: null },
  ]);
  const hw = await vmHardware.ofVm(a.id);
  assert.equal(hw?.firmware, 'uefi');
  assert.deepEqual(
    hw?.disks.map((d) => [d.position, d.path, d.bus, d.sizeBytes, d.owned]),
    [
      [0, '/vms/a.qcow2', 'virtio', 1024, false],
      [1, '/pool/v1.qcow2', 'sata', 5 * 1024 ** 4, true],
    ],
  );
  assert.deepEqual(
    hw?.nics.map((n) => n.mac),
    ['52:54:00:00:00:01', '52:54:00:00:00:02'],
  );
  assert.equal(await vmHardware.macInUse('52:54:00:00:00:02'), true);

  // Another VM cannot take a MAC in use: the unique index says so, and nothing of b is written.
  await assert.rejects(
    vmHardware.add(b.id, {
      firmware: 'bios',
      disks: [disk(0)],
      nics: [{ position: 0, network: 'n1', model: 'virtio', mac: '52:54:00:00:00:01' }],
    }),
    (e) => e instanceof DbConflictError && e.fields.includes('mac'),
  );
  const hwB = await vmHardware.ofVm(b.id);
  assert.deepEqual([hwB?.firmware, hwB?.disks.length, hwB?.nics.length], ['bios', 0, 0]);

  // The rows go with their VM; its MACs are free again.
  await vms.delete(a.id);
  assert.equal(await vmHardware.ofVm(a.id), null);
  assert.equal(await vmHardware.macInUse('52:54:00:00:00:01'), false);
});
