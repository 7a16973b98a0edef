/**
 * An image upload through a manager that does not hold the pool's host: the chunks' bytes are
 * bridged from the manager the agent dials back to, and the upload completes with the same bytes
 * in the libvirt pool. (scripts/test.sh starts this stack: two managers on PostgreSQL, each lab
 * host's agent connected to a different one.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { admin } from '../support/api.ts';
import { dropLabPool, labPool, putChunk, uploadOffset } from '../support/images.ts';
import { type LabHost, lab, virsh } from '../support/lab.ts';

const url1 = process.env.VIREO_TEST_URL ?? '';
const url2 = process.env.VIREO_TEST_URL2 ?? '';
const POOL = `vmm${Date.now().toString(36)}`;
let work: string;
const pools: { host: LabHost; dir: string }[] = [];

before(async () => {
  assert.ok(url1 && url2, 'VIREO_TEST_URL and VIREO_TEST_URL2 name the two managers');
  work = await mkdtemp(join(tmpdir(), 'vireo-images-mm-'));
  for (const host of lab().hosts) {
    const dir = join(lab().sharedDir, `pool-${POOL}-${host.name}`);
    await labPool(host, POOL, dir);
    pools.push({ host, dir });
  }
});

after(async () => {
  for (const p of pools) {
    await dropLabPool(p.host, POOL);
    await rm(p.dir, { recursive: true, force: true });
  }
  await rm(work, { recursive: true, force: true });
});

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('an upload sent to the manager that does not hold the host reaches the host through the other', async () => {
  const m1 = await admin(url1);
  const m2 = await admin(url2);
  const id2 = (await m2.api.cluster.self.query()).managerId;
  const hosts = await m2.api.host.list.query();
  const remote = hosts.find((h) => h.managerId && h.managerId !== id2 && h.status === 'online');
  assert.ok(remote, 'a lab host is held by manager 1');
  const pool = pools.find((p) => p.host.name === remote.name);
  assert.ok(pool);

  const raw = join(work, 'mm.raw');
  execFileSync('dd', ['if=/dev/urandom', `of=${raw}`, 'bs=1M', 'count=10', 'status=none']);
  const file = join(work, 'mm.qcow2');
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, file]);
  const size = (await stat(file)).size;
  const data = readFileSync(file);

  const u = { api: m2.api, cookie: m2.cookie };
  const upload = await m2.api.image.createUpload.mutate({
    hostId: remote.id,
    pool: POOL,
    name: 'mm.qcow2',
    format: 'qcow2',
    sizeBytes: size,
  });
  const chunk = 4 * 1024 * 1024;
  for (let offset = 0; offset < size; offset += chunk) {
    const r = await putChunk(u, upload.id, offset, data.subarray(offset, offset + chunk), url2);
    assert.equal(r.status, 200, r.body);
  }
  // The other manager sees the same offset (the host's, not a manager's memory).
  assert.equal(await uploadOffset({ api: m1.api, cookie: m1.cookie }, upload.id, url1), size);
  const { volume } = await m2.api.image.commitUpload.mutate({ uploadId: upload.id });
  assert.equal(volume.format, 'qcow2');
  assert.match((await virsh(pool.host, 'vol-list', POOL)).stdout, /mm\.qcow2/);
  assert.equal(sha(join(pool.dir, 'mm.qcow2')), sha(file));
});
