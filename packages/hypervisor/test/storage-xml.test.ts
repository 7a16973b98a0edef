import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import { FakeStorage } from '../src/ops/fake-storage.ts';
import { storageErrorOf } from '../src/ops/storage-errors.ts';
import { buildDirPoolXml, buildVolumeXml, parsePoolXml, parseVolumeXml } from '../src/ops/storage-xml.ts';
import { validateXml } from '../src/validate-xml.ts';

test('dir pool XML: valid for libvirt, values escaped, reads back', async () => {
  const xml = buildDirPoolXml({ name: "a<b>&'c", path: '/srv/x & y' });
  await validateXml(xml, 'storagepool');
  assert.match(xml, /<name>a&lt;b&gt;&amp;&apos;c<\/name>/);
  const parsed = parsePoolXml(xml);
  assert.equal(parsed.name, "a<b>&'c");
  assert.equal(parsed.path, '/srv/x & y');
  assert.equal(parsed.type, 'dir');
});

test('volume XML: blank and linked clone are valid; clone carries its backing store', async () => {
  const blank = buildVolumeXml({ name: 'd.qcow2', format: 'qcow2', capacityBytes: 2 * 1024 ** 3 });
  await validateXml(blank, 'storagevol');
  assert.doesNotMatch(blank, /backingStore/);
  const clone = buildVolumeXml({
    name: 'c.qcow2',
    format: 'qcow2',
    capacityBytes: 1024,
    backing: { path: "/p/base'1.qcow2", format: 'qcow2' },
  });
  await validateXml(clone, 'storagevol');
  assert.match(clone, /<backingStore>\s*<path>\/p\/base&apos;1.qcow2<\/path>\s*<format type='qcow2'\/>/);
});

test('volume XML as libvirt writes it: virtual size, allocation, format, backing path', () => {
  const v = parseVolumeXml(`<volume type='file'>
  <name>c1.qcow2</name><key>/p/c1.qcow2</key>
  <capacity unit='bytes'>67108864</capacity><allocation unit='bytes'>200704</allocation>
  <target><path>/p/c1.qcow2</path><format type='qcow2'/></target>
  <backingStore><path>/p/base.qcow2</path><format type='qcow2'/></backingStore>
</volume>`);
  assert.deepEqual(v, {
    name: 'c1.qcow2',
    path: '/p/c1.qcow2',
    format: 'qcow2',
    capacityBytes: 67108864,
    allocationBytes: 200704,
    backingPath: '/p/base.qcow2',
  });
  const raw = parseVolumeXml(`<volume type='file'><name>r</name><capacity unit='bytes'>8</capacity>
  <allocation unit='bytes'>0</allocation><target><path>/p/r</path><format type='raw'/></target></volume>`);
  assert.equal(raw.backingPath, null);
  assert.equal(raw.format, 'raw');
});

test('libvirt storage messages become coded errors', () => {
  const of = (message: string) => storageErrorOf({ message }, 'x');
  assert.ok(VireoError.is(of("Storage pool not found: no storage pool with matching name 'p'"), 'NOT_FOUND', 'pool'));
  assert.ok(
    VireoError.is(of("Storage volume not found: no storage vol with matching path 'v'"), 'NOT_FOUND', 'volume'),
  );
  assert.ok(VireoError.is(of("storage volume 'a.qcow2' exists already"), 'CONFLICT', 'volume'));
  assert.ok(VireoError.is(of("operation failed: Storage source conflict with pool: 'p1'"), 'CONFLICT', 'pool'));
  assert.ok(VireoError.is(of("operation failed: pool 't1' already exists with uuid d2"), 'CONFLICT', 'pool'));
  assert.ok(
    VireoError.is(of("Requested operation is not valid: storage pool 't1' is still active"), 'INVALID_STATE', 'pool'),
  );
  assert.ok(VireoError.is(of("cannot extend file '/p/v': No space left on device"), 'STORAGE_NO_SPACE', 'volume'));
  assert.equal(of("Domain not found: no domain with matching uuid '1'"), null);
});

test('fake storage: thin volumes, linked clones keep their base, refusals coded', async () => {
  const s = new FakeStorage();
  await s.ensureDirPool({ name: 'default', path: '/pool' });
  await assert.rejects(s.ensureDirPool({ name: 'default', path: '/other' }), (e) => VireoError.is(e, 'CONFLICT'));
  const base = await s.createVolume('default', { name: 'b', format: 'qcow2', capacityBytes: 1024 ** 3 });
  const clone = await s.cloneVolume('default', { name: 'c', basePath: base.path });
  assert.equal(clone.backingPath, '/pool/b');
  assert.equal(clone.capacityBytes, 1024 ** 3);
  await assert.rejects(s.createVolume('default', { name: 'b', format: 'raw', capacityBytes: 1 }), (e) =>
    VireoError.is(e, 'CONFLICT', 'volume'),
  );
  await assert.rejects(s.deleteVolume('default', 'zz'), (e) => VireoError.is(e, 'NOT_FOUND', 'volume'));
  await assert.rejects(s.listVolumes('nope'), (e) => VireoError.is(e, 'NOT_FOUND', 'pool'));
});
