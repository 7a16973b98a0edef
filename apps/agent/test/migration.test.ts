import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appendSerialLog, migrateFlags, moveDisks, parseJobStats } from '@vireo/hypervisor';
import { describeJob, destinationUri, notConverging } from '../src/handlers/migration.ts';
import { loadConfig } from '../src/config.ts';

const MiB = 1024 * 1024;

test('the destination URI takes the transport setting; IPv6 literals are bracketed', () => {
  assert.equal(destinationUri('tls', '10.0.0.12'), 'qemu+tls://10.0.0.12/system');
  assert.equal(destinationUri('tcp', 'fd00::12'), 'qemu+tcp://[fd00::12]/system');
});

test('the transport defaults to tls and the lab sets tcp', () => {
  const env = { VIREO_MANAGER_URL: 'http://127.0.0.1:3000' };
  assert.equal(loadConfig(env).migrationTransport, 'tls');
  assert.equal(loadConfig({ ...env, VIREO_MIGRATION_TRANSPORT: 'tcp' }).migrationTransport, 'tcp');
  assert.throws(() => loadConfig({ ...env, VIREO_MIGRATION_TRANSPORT: 'ftp' }), /migrationTransport/);
});

test('flags: live shared is p2p + persistent + unsafe, keeps the source when asked; offline never live', () => {
  const live = migrateFlags({
    destinationUri: 'x',
    live: true,
    copyDisks: false,
    unsafe: true,
    autoConverge: false,
    postCopy: false,
    keepSource: true,
  });
  assert.equal(live, 1 | 2 | 8 | 512 | 4096);
  const block = migrateFlags({
    destinationUri: 'x',
    live: true,
    copyDisks: true,
    unsafe: false,
    autoConverge: true,
    postCopy: true,
    keepSource: false,
  });
  assert.equal(block, 1 | 2 | 8 | 16 | 64 | 4096 | 8192 | 32768);
  const offline = migrateFlags({
    destinationUri: 'x',
    live: false,
    copyDisks: false,
    unsafe: true,
    autoConverge: true,
    postCopy: true,
    keepSource: false,
  });
  assert.equal(offline, 2 | 8 | 16 | 1024 | 512);
});

test('job stats: progress from the data left, a message with rate, dirty rate and expected downtime', () => {
  // libvirt-dbus sends ulongs (bigint in dbus-next); parseJobStats also unwraps Variants.
  const v = (_sig: string, x: bigint) => x;
  const s = parseJobStats([
    [
      1,
      {
        data_total: v('t', BigInt(200 * MiB)),
        data_remaining: v('t', BigInt(50 * MiB)),
        memory_bps: v('t', BigInt(40 * MiB)),
        memory_dirty_rate: v('t', 2560n),
        memory_page_size: v('t', 4096n),
        memory_iteration: v('t', 3n),
        downtime: v('t', 120n),
      },
    ],
  ]);
  const d = describeJob(s);
  assert.equal(Math.round(d.percent), 75);
  assert.match(d.message, /50 MiB left, at 40 MiB\/s, guest dirtying 10 MiB\/s, pass 3, expected downtime 120 ms/);
  assert.equal(notConverging(s), false, 'pass 3 is too early to judge');
  assert.equal(notConverging({ ...s, memoryIteration: 6 }), false, 'dirtying a quarter of the rate converges');
  assert.equal(notConverging({ ...s, memoryIteration: 6, memoryDirtyRate: 10240 }), true);
});

test('the destination XML appends to the serial log instead of truncating it', () => {
  const xml = "<serial type='pty'><log file='/s/vms/u.serial.log' append='off'/></serial>";
  assert.equal(appendSerialLog(xml), "<serial type='pty'><log file='/s/vms/u.serial.log' append='on'/></serial>");
  assert.equal(appendSerialLog('<domain/>'), '<domain/>');
});

test('block migration: the copied disk points at its destination volume, its dev is named, other disks stay', () => {
  const xml =
    "<domain><devices><disk type='file' device='disk'><source file='/s/vms/u.qcow2'/><target dev='vda' bus='virtio'/></disk>" +
    "<disk type='file' device='disk'><source file='/var/lib/libvirt/images/a/d1.qcow2' index='2'/>" +
    "<backingStore type='file'><source file='/b/base.qcow2'/></backingStore><target dev='vdb' bus='virtio'/></disk>" +
    '</devices></domain>';
  const { xml: out, devs } = moveDisks(xml, [
    { from: '/var/lib/libvirt/images/a/d1.qcow2', to: '/var/lib/libvirt/images/b/d1.qcow2' },
  ]);
  assert.deepEqual(devs, ['vdb']);
  assert.match(out, /<source file='\/var\/lib\/libvirt\/images\/b\/d1.qcow2' index='2'\/>/);
  assert.match(out, /<source file='\/s\/vms\/u.qcow2'\/>/);
  assert.doesNotMatch(out, /base\.qcow2/);
  assert.deepEqual(moveDisks(xml, [{ from: '/nowhere.qcow2', to: '/x.qcow2' }]).devs, []);
});
