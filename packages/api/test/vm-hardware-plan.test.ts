import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import { createVmInput } from '../src/schemas/vm.ts';
import { hardwareRequest, planHardware, randomMac } from '../src/services/vm-hardware.ts';

const uuid = '11111111-2222-4333-8444-555555555555';
const admin = { id: 'a', username: 'admin', role: 'admin' as const };
const user = { id: 'u', username: 'u', role: 'user' as const };
const base = { name: 'web-1', templateId: 't', vcpus: 1, memoryMiB: 128 };

test('MACs are random, in 52:54:00:xx:xx:xx, lower case', () => {
  const macs = new Set(Array.from({ length: 200 }, randomMac));
  assert.ok(macs.size > 190, 'random');
  for (const m of macs) assert.match(m, /^52:54:00(:[0-9a-f]{2}){3}$/);
});

test('a plan names the volumes Vireo makes after the VM, keeps attached ones, and asks the agent for them', () => {
  const input = createVmInput.parse({
    ...base,
    memoryMiB: 256,
    firmware: 'uefi',
    disks: [
      { bus: 'sata', source: { kind: 'blank', sizeBytes: 1024 ** 3 } },
      { device: 'cdrom', bus: 'scsi', format: 'raw', source: { kind: 'existing', volume: 'debian.iso' } },
      { source: { kind: 'linkedFrom', base: { pool: 'images', volume: 'base.qcow2' } } },
    ],
    nics: [{ network: 'lan' }, { network: 'dmz', model: 'e1000' }],
  });
  const plan = planHardware(uuid, input, admin);
  assert.deepEqual(
    plan.disks.map((d) => [d.position, d.pool, d.volume, d.bus, d.device, d.readOnly, d.owned]),
    [
      [0, null, null, 'virtio', 'disk', false, false],
      [1, 'default', `${uuid}-disk1.qcow2`, 'sata', 'disk', false, true],
      [2, 'default', 'debian.iso', 'scsi', 'cdrom', true, false],
      [3, 'default', `${uuid}-disk3.qcow2`, 'virtio', 'disk', false, true],
    ],
  );
  const nics = plan.nics.map((n, i) => ({ ...n, mac: `52:54:00:00:00:0${i}` }));
  const req = hardwareRequest(plan, nics);
  assert.equal(req.boot.firmware, 'uefi');
  assert.equal(req.disks.length, 3, "the template's own disk is not in the hardware part");
  assert.deepEqual(req.disks[2]?.provision, { kind: 'linkedFrom', base: { pool: 'images', volume: 'base.qcow2' } });
  assert.deepEqual(
    req.nics.map((n) => [n.network, n.model, n.mac]),
    [
      ['lan', 'virtio', '52:54:00:00:00:00'],
      ['dmz', 'e1000', '52:54:00:00:00:01'],
    ],
  );
});

test('only admins attach, clone or copy named volumes; everyone gets blank disks', () => {
  const attach = createVmInput.parse({ ...base, disks: [{ source: { kind: 'existing', volume: 'other-vm.qcow2' } }] });
  assert.throws(
    () => planHardware(uuid, attach, user),
    (e) => VireoError.is(e, 'FORBIDDEN'),
  );
  const blank = createVmInput.parse({ ...base, disks: [{ source: { kind: 'blank', sizeBytes: 1024 ** 2 } }] });
  assert.equal(planHardware(uuid, blank, user).disks.length, 2);
});

test('input rules: bus/device combinations, sizes, counts, names', () => {
  const bad = (extra: object) => createVmInput.safeParse({ ...base, ...extra }).success === false;
  assert.ok(bad({ disks: [{ device: 'cdrom', bus: 'virtio', source: { kind: 'empty' } }] }));
  assert.ok(bad({ disks: [{ source: { kind: 'empty' } }] }), 'only a CD-ROM can be empty');
  assert.ok(bad({ disks: [{ source: { kind: 'blank', sizeBytes: 1000 } }] }), 'under 1 MiB');
  assert.ok(bad({ disks: [{ format: 'raw', source: { kind: 'linkedFrom', base: { pool: 'p', volume: 'b' } } }] }));
  assert.ok(bad({ disks: Array.from({ length: 16 }, () => ({ source: { kind: 'blank', sizeBytes: 1024 ** 2 } })) }));
  assert.ok(bad({ nics: Array.from({ length: 9 }, () => ({ network: 'lan' })) }));
  assert.ok(bad({ nics: [{ network: "lan'/><x" }] }), 'hostile network name');
  assert.ok(bad({ disks: [{ pool: '../etc', source: { kind: 'blank', sizeBytes: 1024 ** 2 } }] }), 'hostile pool');
  assert.ok(!bad({ disks: [{ device: 'cdrom', bus: 'sata', source: { kind: 'empty' } }] }));
  assert.ok(bad({ firmware: 'uefi', memoryMiB: 128 }), 'OVMF needs 256 MiB');
  assert.ok(!bad({ firmware: 'uefi', memoryMiB: 256 }));
});

test('a disk template: its disks first as linked clones (qcow2) or full copies, its NICs first, its firmware', () => {
  const input = createVmInput.parse({
    ...base,
    firmware: 'bios',
    disks: [{ source: { kind: 'blank', sizeBytes: 1024 ** 3 } }],
    nics: [{ network: 'lan' }],
  });
  const template = {
    firmware: 'uefi' as const,
    disks: [{ position: 0, pool: 'default', volume: 'base.raw', bus: 'virtio' as const, format: 'raw' as const }],
    nics: [{ position: 0, network: 'tpl-net', model: 'e1000' as const }],
  };
  const linked = planHardware(uuid, input, user, { ...template, diskMode: 'linked' });
  assert.equal(linked.firmware, 'uefi');
  assert.deepEqual(
    linked.disks.map((d) => [d.position, d.volume, d.format, d.owned, d.provision.kind]),
    [
      [0, `${uuid}-disk0.qcow2`, 'qcow2', true, 'linkedFrom'],
      [1, `${uuid}-disk1.qcow2`, 'qcow2', true, 'blank'],
    ],
  );
  assert.deepEqual(
    linked.nics.map((n) => n.network),
    ['tpl-net', 'lan'],
  );
  const req = hardwareRequest(linked, []);
  assert.equal(req.disks.length, 2, 'no overlay: every drive is in the hardware request');
  assert.deepEqual(req.disks[0]?.provision, { kind: 'linkedFrom', base: { pool: 'default', volume: 'base.raw' } });

  const full = planHardware(uuid, input, user, { ...template, diskMode: 'full' });
  assert.deepEqual(full.disks[0]?.provision, { kind: 'copyFrom', source: { pool: 'default', volume: 'base.raw' } });
  assert.equal(full.disks[0]?.format, 'raw', 'a full copy keeps the base format');
});
