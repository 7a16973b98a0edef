import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LibvirtVmDeviceOps, byTarget, cdromXml, nextSdTarget } from '../src/ops/vm-devices.ts';

const UUID = '6f1c7a52-3a43-4b8e-9a0e-2b0d5e1c9f10';

/** A libvirt-dbus stand-in: answers GetXMLDesc with `xml`, records every other call. */
function recorder(xml: string) {
  const calls: { method: string; args: unknown[] }[] = [];
  const call = async (_path: string, _iface: string, method: string, _sig: string, args: unknown[]) => {
    if (method === 'GetXMLDesc') return [xml];
    calls.push({ method, args });
    return [];
  };
  return { calls, ops: new LibvirtVmDeviceOps(call, '/org/libvirt/QEMU') };
}

const domain = (devices: string) => `<domain type='qemu'><devices>${devices}</devices></domain>`;

test('target names sort as libvirt orders them, and a new drive goes after the last sdX', () => {
  assert.deepEqual(['sdaa', 'sdb', 'sda', 'sdz'].sort(byTarget), ['sda', 'sdb', 'sdz', 'sdaa']);
  assert.equal(nextSdTarget(['vda']), 'sda');
  assert.equal(nextSdTarget(['vda', 'sdb']), 'sdc', 'after the last one, not into the gap');
  assert.equal(nextSdTarget(['sdz']), 'sdaa');
});

test('CD-ROM XML: a medium is a read-only raw file, an eject has no source', () => {
  const loaded = cdromXml('sdb', 'scsi', "/pool/a'b.iso");
  assert.match(loaded, /device='cdrom'/);
  assert.match(loaded, /<source file='\/pool\/a&apos;b\.iso'\/>/);
  assert.match(loaded, /<target dev='sdb' bus='scsi'\/>/);
  assert.match(loaded, /<readonly\/>/);
  assert.doesNotMatch(cdromXml('sdb', 'scsi', null), /<source/);
});

test('a NIC goes live and into the definition on a running VM, into the definition only on a stopped one', async () => {
  const { calls, ops } = recorder(domain(''));
  const nic = { network: 'vireo-lan', model: 'virtio' as const, mac: '52:54:00:aa:bb:cc', filter: 'vireo-sg-x' };
  await ops.attachNic(UUID, nic, true);
  await ops.attachNic(UUID, nic, false);
  assert.deepEqual(
    calls.map((c) => [c.method, c.args[1]]),
    [
      ['AttachDevice', 3],
      ['AttachDevice', 2],
    ],
  );
  const doc = calls[0]?.args[0] as string;
  assert.match(doc, /<mac address='52:54:00:aa:bb:cc'\/>/);
  assert.match(doc, /<source network='vireo-lan'\/>/);
  assert.match(doc, /<filterref filter='vireo-sg-x'\/>/);
});

test('detaching a NIC of a stopped VM names it by MAC; one already gone is not detached again', async () => {
  const present = recorder(
    domain("<interface type='network'><mac address='52:54:00:AA:BB:CC'/><source network='n'/></interface>"),
  );
  await present.ops.detachNic(UUID, '52:54:00:aa:bb:cc', false);
  assert.equal(present.calls.length, 1);
  assert.equal(present.calls[0]?.method, 'DetachDevice');
  assert.equal(present.calls[0]?.args[1], 2);
  assert.match(present.calls[0]?.args[0] as string, /<mac address='52:54:00:aa:bb:cc'\/>/);
  // libvirt parses the device before matching it: a network interface needs its source.
  assert.match(present.calls[0]?.args[0] as string, /<source network='n'\/>/);

  const gone = recorder(domain(''));
  await gone.ops.detachNic(UUID, '52:54:00:aa:bb:cc', false);
  assert.equal(gone.calls.length, 0);
});

test('a SCSI CD-ROM drive brings a virtio-scsi controller when the VM has none', async () => {
  const bare = recorder(domain("<disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>"));
  assert.equal(await bare.ops.addCdrom(UUID, 'scsi'), 'sda');
  assert.deepEqual(
    bare.calls.map((c) => c.method),
    ['AttachDevice', 'AttachDevice'],
  );
  assert.match(bare.calls[0]?.args[0] as string, /model='virtio-scsi'/);
  assert.ok(
    bare.calls.every((c) => c.args[1] === 2),
    'definition only',
  );

  const withScsi = recorder(domain("<controller type='scsi' index='0' model='virtio-scsi'/>"));
  await withScsi.ops.addCdrom(UUID, 'scsi', '/p/x.iso');
  assert.equal(withScsi.calls.length, 1);
  assert.match(withScsi.calls[0]?.args[0] as string, /<source file='\/p\/x\.iso'\/>/);
});

test('CD-ROM drives are listed in target order with their media', async () => {
  const { ops } = recorder(
    domain(
      "<disk type='file' device='cdrom'><source file='/a.iso'/><target dev='sdc' bus='scsi'/></disk>" +
        "<disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>" +
        "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>",
    ),
  );
  assert.deepEqual(await ops.cdroms(UUID, true), [
    { target: 'sda', bus: 'sata' },
    { target: 'sdc', bus: 'scsi', path: '/a.iso' },
  ]);
});
