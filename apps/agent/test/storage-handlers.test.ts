/**
 * The agent's storage guards over the in-memory FakeHypervisor (the lab test proves them against
 * real libvirt): a disk of a domain, a base with a linked clone, a running VM's disk.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type DomainSpec, FakeHypervisor } from '@vireo/hypervisor';
import { VireoError } from '@vireo/protocol';
import { createStorageHandlers } from '../src/handlers/storage.ts';
import { Journal } from '../src/journal.ts';
import { createLogger } from '../src/logger.ts';

const op = { key: 'k', progress: () => {} };
const GIB = 1024 ** 3;

async function setup(path = '/pool') {
  const hv = new FakeHypervisor({ shutdownDelayMs: 10 });
  await hv.connect();
  const journal = await Journal.open(mkdtempSync(join(tmpdir(), 'vireo-journal-')));
  const h = createStorageHandlers({ hv, logger: createLogger('error'), journal });
  await h['pool.ensure']({ name: 'default', path }, op);
  return { hv, h, journal };
}

function domainWithDisk(uuid: string, path: string, format: 'qcow2' | 'raw'): DomainSpec {
  return {
    uuid,
    name: 'web',
    type: 'qemu',
    vcpus: 1,
    memoryMiB: 64,
    boot: { firmware: 'bios', order: ['hd'] },
    disks: [{ path, format, device: 'disk', bus: 'virtio' }],
    nics: [],
    serialLogPath: '/s',
  };
}

test('a base with a linked clone cannot be deleted; the clone can, then the base', async () => {
  const { h } = await setup();
  const base = await h['volume.create']({ pool: 'default', name: 'base', format: 'qcow2', capacityBytes: GIB }, op);
  const clone = await h['volume.clone'](
    { pool: 'default', name: 'clone', sourcePath: base.volume.path, mode: 'linked', format: 'qcow2' },
    op,
  );
  assert.equal(clone.volume.backingPath, '/pool/base');
  const listed = await h['pool.list']({}, op);
  assert.deepEqual(listed.pools[0]?.volumes?.find((v) => v.name === 'base')?.dependants, ['/pool/clone']);
  await assert.rejects(h['volume.delete']({ pool: 'default', name: 'base' }, op), (e) =>
    VireoError.is(e, 'CONFLICT', 'volume'),
  );
  await h['volume.delete']({ pool: 'default', name: 'clone' }, op);
  await h['volume.delete']({ pool: 'default', name: 'base' }, op);
  assert.deepEqual((await h['pool.list']({}, op)).pools[0]?.volumes, []);
});

test('a disk of a domain cannot be deleted, nor resized while the domain runs; the pool cannot be removed', async () => {
  const { hv, h } = await setup();
  const { volume } = await h['volume.create']({ pool: 'default', name: 'd', format: 'raw', capacityBytes: GIB }, op);
  const uuid = randomUUID();
  await hv.defineDomain(domainWithDisk(uuid, volume.path, 'raw'));
  const listed = await h['pool.list']({ name: 'default' }, op);
  assert.deepEqual(listed.pools[0]?.volumes?.[0]?.usedBy, [{ uuid, name: 'web', state: 'shutoff', via: 'disk' }]);
  await assert.rejects(h['volume.delete']({ pool: 'default', name: 'd' }, op), (e) => VireoError.is(e, 'CONFLICT'));
  await assert.rejects(h['pool.remove']({ name: 'default' }, op), (e) => VireoError.is(e, 'CONFLICT', 'pool'));
  const grown = await h['volume.resize']({ pool: 'default', name: 'd', capacityBytes: 2 * GIB }, op);
  assert.equal(grown.volume.capacityBytes, 2 * GIB);
  await hv.startDomain(uuid);
  await assert.rejects(h['volume.resize']({ pool: 'default', name: 'd', capacityBytes: 3 * GIB }, op), (e) =>
    VireoError.is(e, 'INVALID_STATE', 'volume'),
  );
});

test('create is idempotent for the same volume, a conflict for another', async () => {
  const { h } = await setup();
  const p = { pool: 'default', name: 'v', format: 'qcow2', capacityBytes: GIB } as const;
  const a = await h['volume.create'](p, op);
  const b = await h['volume.create'](p, op);
  assert.equal(a.volume.path, b.volume.path);
  await assert.rejects(h['volume.create']({ ...p, capacityBytes: 2 * GIB }, op), (e) =>
    VireoError.is(e, 'CONFLICT', 'volume'),
  );
});

test("a base a domain's disk outside the pools is backed by (read with qemu-img) cannot be deleted", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vireo-chain-'));
  try {
    const { hv, h } = await setup(join(dir, 'pool'));
    const { volume } = await h['volume.create'](
      { pool: 'default', name: 'base.qcow2', format: 'qcow2', capacityBytes: GIB },
      op,
    );
    // The fake keeps volumes in memory: make the real files qemu-img will read.
    execFileSync('mkdir', ['-p', join(dir, 'pool')]);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', volume.path, '1M']);
    const overlay = join(dir, 'vm.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', volume.path, overlay]);
    const uuid = randomUUID();
    await hv.defineDomain(domainWithDisk(uuid, overlay, 'qcow2'));
    const listed = await h['pool.list']({}, op);
    assert.deepEqual(listed.pools[0]?.volumes?.[0]?.usedBy, [{ uuid, name: 'web', state: 'shutoff', via: 'backing' }]);
    await assert.rejects(h['volume.delete']({ pool: 'default', name: 'base.qcow2' }, op), (e) =>
      VireoError.is(e, 'CONFLICT', 'volume'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a volume being made is journalled until the reply, and a settled entry deletes what libvirt made', async () => {
  const { hv, h, journal } = await setup();
  let seen: string[] = [];
  const create = hv.storage.createVolume.bind(hv.storage);
  hv.storage.createVolume = (...args) => {
    seen = journal.list().map((e) => e.key); // what a kill right now would leave
    return create(...args);
  };
  const made = h['volume.create'](
    { pool: 'default', name: 'j.qcow2', format: 'qcow2', capacityBytes: GIB },
    { key: 'volume.create:t1', progress: () => {} },
  );
  await made;
  assert.deepEqual(seen, ['volume.create:t1']);
  assert.deepEqual(journal.list(), []);
  // What a killed agent leaves: the entry, and the volume libvirt made. Its successor deletes it.
  await journal.record({
    key: 'volume.clone:t2',
    kind: 'volume.make',
    volume: { pool: 'default', volume: 'j.qcow2' },
    at: 1,
  });
  const { Jobs, settleJournal } = await import('../src/jobs.ts');
  const decided = await settleJournal({
    hv,
    journal,
    jobs: new Jobs(() => {}),
    vmStorageDir: '/vms',
    logger: createLogger('error'),
  });
  assert.ok(decided.has('volume.clone:t2'));
  assert.equal(await hv.storage.volume('default', 'j.qcow2'), null);
  assert.deepEqual(journal.list(), []);
});

test('disk.virtualSize: pool volumes by libvirt’s capacity, a file by qemu-img; a missing volume is NOT_FOUND', async () => {
  const { h } = await setup();
  await h['volume.create']({ pool: 'default', name: 'a', format: 'qcow2', capacityBytes: GIB }, op);
  await h['volume.create']({ pool: 'default', name: 'b', format: 'qcow2', capacityBytes: 3 * GIB }, op);
  const dir = mkdtempSync(join(tmpdir(), 'vireo-vsize-'));
  try {
    const file = join(dir, 'base.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '2G']);
    const volumes = [
      { pool: 'default', name: 'a' },
      { pool: 'default', name: 'b' },
    ];
    assert.deepEqual(await h['disk.virtualSize']({ volumes, paths: [file] }, op), { bytes: 6 * GIB });
    await assert.rejects(h['disk.virtualSize']({ volumes: [{ pool: 'default', name: 'nope' }], paths: [] }, op), (e) =>
      VireoError.is(e, 'NOT_FOUND', 'volume'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
