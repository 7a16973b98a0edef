/**
 * Images on the real lab: uploads through the manager to a libvirt pool on a lab host, checked
 * against libvirt itself (virsh vol-list / vol-dumpxml) and the bytes on disk. Hostile images
 * are refused and removed; an interrupted upload resumes from the host's offset; a host path is
 * imported (a symlink is not).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { admin, baseUrl, rejection, waitTask } from '../support/api.ts';
import { dropLabPool, labPool, putChunk, sendFile, type Uploader, uploadOffset } from '../support/images.ts';
import { type LabHost, lab, virsh } from '../support/lab.ts';

const POOL = `vimg${Date.now().toString(36)}`;
let host: LabHost;
let hostId: string;
let poolDir: string;
let importDir: string;
let work: string;
let u: Uploader;

const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { stdio: 'pipe' });
const sha256 = (path: string) =>
  new Promise<string>((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => res(h.digest('hex')))
      .on('error', rej);
  });

before(async () => {
  const l = lab();
  host = l.hosts[0] as LabHost;
  poolDir = join(l.sharedDir, `pool-${POOL}`);
  // The agents import only from here (VIREO_IMAGE_IMPORT_DIRS in scripts/lib/stack.sh).
  importDir = join(l.sharedDir, 'import');
  await mkdir(importDir, { recursive: true });
  await labPool(host, POOL, poolDir);
  work = await mkdtemp(join(tmpdir(), 'vireo-images-lab-'));
  const client = await admin();
  u = { api: client.api, cookie: client.cookie };
  const hosts = await u.api.host.list.query();
  const found = hosts.find((h) => h.name === host.name);
  assert.ok(found, `lab host ${host.name} is enrolled`);
  hostId = found.id;
});

after(async () => {
  await dropLabPool(host, POOL);
  await rm(poolDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

/** A qcow2 with real data in it (random bytes converted), several chunks long. */
function makeQcow2(name: string, mib: number): string {
  const raw = join(work, `${name}.raw`);
  execFileSync('dd', ['if=/dev/urandom', `of=${raw}`, 'bs=1M', `count=${mib}`, 'status=none']);
  const out = join(work, name);
  qemuImg('convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, out);
  return out;
}

async function volumes(): Promise<string> {
  return (await virsh(host, 'vol-list', POOL)).stdout;
}

async function createUpload(file: string, name: string, format: 'qcow2' | 'raw' | 'iso') {
  const size = (await stat(file)).size;
  return u.api.image.createUpload.mutate({ hostId, pool: POOL, name, format, sizeBytes: size });
}

test('a qcow2 made with qemu-img is uploaded by chunks and libvirt lists it as a qcow2 volume', async () => {
  const file = makeQcow2('disk-a.qcow2', 12);
  const upload = await createUpload(file, 'disk-a.qcow2', 'qcow2');
  await sendFile(u, upload.id, file, 0, 4 * 1024 * 1024);
  assert.equal(await uploadOffset(u, upload.id), (await stat(file)).size);
  const { volume } = await u.api.image.commitUpload.mutate({ uploadId: upload.id });
  assert.equal(volume.format, 'qcow2');
  assert.match(await volumes(), /disk-a\.qcow2/);
  const xml = (await virsh(host, 'vol-dumpxml', '--pool', POOL, 'disk-a.qcow2')).stdout;
  assert.match(xml, /<format type='qcow2'\/>/);
  assert.equal(await sha256(join(poolDir, 'disk-a.qcow2')), await sha256(file));
  const listed = (await u.api.image.uploads.query()).find((x) => x.id === upload.id);
  assert.equal(listed?.state, 'done');
});

test('an interrupted upload resumes from the offset the host reached, and the result matches', async () => {
  const file = makeQcow2('disk-b.qcow2', 16);
  const size = (await stat(file)).size;
  const upload = await createUpload(file, 'disk-b.qcow2', 'qcow2');
  // One chunk of 8 MiB, cut off after ~3 MiB as a lost network would.
  const chunk = Math.min(8 * 1024 * 1024, size);
  const url = new URL(baseUrl());
  await new Promise<void>((resolve) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      method: 'PUT',
      path: `/api/images/uploads/${upload.id}`,
      headers: {
        cookie: u.cookie(),
        origin: baseUrl(),
        'content-type': 'application/octet-stream',
        'content-length': String(chunk),
        'upload-offset': '0',
      },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    const part = Buffer.alloc(3 * 1024 * 1024);
    const fd = openSync(file, 'r');
    readSync(fd, part, 0, part.length, 0);
    closeSync(fd);
    req.write(part, () => setTimeout(() => req.destroy(), 500));
  });
  // The host wrote what arrived; the offset says how far, and no more than was sent.
  let offset = 0;
  for (let i = 0; i < 50; i++) {
    offset = await uploadOffset(u, upload.id);
    if (offset > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(offset > 0 && offset <= 3 * 1024 * 1024, `offset after the cut: ${offset}`);
  // A chunk at the wrong offset is refused with 409, and the host's offset in the answer.
  const wrong = await putChunk(u, upload.id, 0, Buffer.alloc(10));
  assert.equal(wrong.status, 409);
  // Another site's page, or no session, cannot send bytes.
  const forged = await fetch(`${baseUrl()}/api/images/uploads/${upload.id}`, {
    method: 'PUT',
    headers: {
      cookie: u.cookie(),
      origin: 'http://evil.example',
      'content-type': 'application/octet-stream',
      'upload-offset': String(offset),
    },
    body: 'xx',
  });
  assert.equal(forged.status, 403);
  const anonymous = await putChunk({ ...u, cookie: () => '' }, upload.id, offset, Buffer.alloc(10));
  assert.equal(anonymous.status, 401);
  assert.equal(await uploadOffset(u, upload.id), offset, 'refused requests wrote nothing');
  await sendFile(u, upload.id, file, offset, 4 * 1024 * 1024);
  await u.api.image.commitUpload.mutate({ uploadId: upload.id });
  assert.equal(await sha256(join(poolDir, 'disk-b.qcow2')), await sha256(file));
  assert.match(await volumes(), /disk-b\.qcow2/);
});

async function refusedUpload(file: string, name: string, format: 'qcow2' | 'raw' | 'iso', why: RegExp) {
  const upload = await createUpload(file, name, format);
  await sendFile(u, upload.id, file);
  const r = await rejection(u.api.image.commitUpload.mutate({ uploadId: upload.id }));
  assert.equal(r.code, 'BAD_INPUT', r.message);
  assert.match(r.message, why);
  const left = (await readdir(poolDir)).filter((n) => n === name || n.includes(upload.id));
  assert.deepEqual(left, [], 'the refused file is removed');
  assert.doesNotMatch(await volumes(), new RegExp(name.replace('.', '\\.')));
  const listed = (await u.api.image.uploads.query()).find((x) => x.id === upload.id);
  assert.equal(listed?.state, 'failed');
  assert.match(listed?.errorMessage ?? '', why);
}

test('refused and removed: hostile backing file, backing file outside the pool, lying format, oversize', async () => {
  const passwd = join(work, 'passwd.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-b', '/etc/passwd', '-F', 'raw', passwd);
  await refusedUpload(passwd, 'passwd.qcow2', 'qcow2', /backing file.*\/etc\/passwd/);

  const outside = join(work, 'outside.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-b', '../disk-a.qcow2', '-F', 'qcow2', '-u', outside, '16M');
  await refusedUpload(outside, 'outside.qcow2', 'qcow2', /backing file "\.\.\/disk-a\.qcow2"/);

  // A qcow2 named and claimed as raw: a guest would get its bytes, QEMU might follow its backing.
  const lying = join(work, 'lying.img');
  qemuImg('create', '-q', '-f', 'qcow2', lying, '16M');
  await refusedUpload(lying, 'lying.img', 'raw', /given as raw but its content is qcow2/);

  const huge = join(work, 'huge.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', huge, '4T');
  await refusedUpload(huge, 'huge.qcow2', 'qcow2', /virtual size of 4096\.0 GiB, over the limit of 512\.0 GiB/);

  // The name must say the format; refused before any byte is sent.
  const r = await rejection(
    u.api.image.createUpload.mutate({ hostId, pool: POOL, name: 'disk.iso', format: 'qcow2', sizeBytes: 1000 }),
  );
  assert.equal(r.code, 'BAD_INPUT');
});

test('import from a host path copies as a task with progress; a symlink is refused and leaves nothing', async () => {
  const src = makeQcow2(`import-${POOL}.qcow2`, 8);
  const inImport = join(importDir, `import-${POOL}.qcow2`);
  execFileSync('cp', [src, inImport]);
  const link = join(importDir, `link-${POOL}.qcow2`);
  await symlink(inImport, link);
  try {
    const { taskId } = await u.api.image.import.mutate({
      hostId,
      sourcePath: inImport,
      pool: POOL,
      name: 'imported.qcow2',
      format: 'qcow2',
    });
    const task = await waitTask(u.api, taskId);
    assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
    assert.equal(task.kind, 'image.import');
    assert.match(await volumes(), /imported\.qcow2/);
    assert.equal(await sha256(join(poolDir, 'imported.qcow2')), await sha256(src));

    const viaLink = await u.api.image.import.mutate({
      hostId,
      sourcePath: link,
      pool: POOL,
      name: 'vialink.qcow2',
      format: 'qcow2',
    });
    const refusedTask = await waitTask(u.api, viaLink.taskId);
    assert.equal(refusedTask.state, 'failed');
    assert.equal(refusedTask.errorCode, 'BAD_INPUT');
    assert.match(refusedTask.errorMessage ?? '', /symbolic link/);
    assert.equal(existsSync(join(poolDir, 'vialink.qcow2')), false);
    assert.deepEqual(
      (await readdir(poolDir)).filter((n) => n.startsWith('.')),
      [],
      'no part file left',
    );
  } finally {
    await rm(link, { force: true });
    await rm(inImport, { force: true });
  }
});
