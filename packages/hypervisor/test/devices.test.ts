import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freeTarget, hotplugDiskXml } from '../src/ops/devices.ts';

test('a hot-added disk takes the first free name of its bus', () => {
  assert.equal(freeTarget(['vda'], 'virtio'), 'vdb');
  assert.equal(freeTarget(['vda', 'vdc'], 'virtio'), 'vdb');
  // SATA CD-ROMs and SCSI disks share the sdX names.
  assert.equal(freeTarget(['vda', 'sda'], 'scsi'), 'sdb');
  assert.equal(freeTarget([], 'scsi'), 'sda');
});

test('the disk XML escapes its path', () => {
  const doc = hotplugDiskXml({ path: "/pool/a'b&c.qcow2", bus: 'virtio', format: 'qcow2' }, 'vdb');
  assert.match(doc, /<source file='\/pool\/a&apos;b&amp;c\.qcow2'\/>/);
  assert.match(doc, /<target dev='vdb' bus='virtio'\/>/);
  assert.match(doc, /<driver name='qemu' type='qcow2'\/>/);
});
