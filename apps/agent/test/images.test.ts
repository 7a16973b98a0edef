/**
 * The image store on real files and the real qemu-img: chunks written only at the offset
 * reached, checks that refuse (and remove) hostile images, import from allowed directories only.
 * The pool is a plain directory (libvirt's pools are exercised in tests/lab/images.test.ts), and
 * chunk bytes come over a real WebSocket.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import WebSocket, { WebSocketServer } from 'ws';
import { holdChannel } from '../src/console-relay.ts';
import { ImageStore } from '../src/image-store.ts';
import { createLogger } from '../src/logger.ts';

let root: string;
let pool: string;
let importDir: string;
let wss: WebSocketServer;
/** What the "manager" sends on the next channel the store dials. */
const outgoing = new Map<string, Buffer[]>();
let refreshed = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vireo-images-'));
  pool = join(root, 'pool');
  importDir = join(root, 'import');
  await mkdir(pool);
  await mkdir(importDir);
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((res) => wss.once('listening', res));
  wss.on('connection', (ws, req) => {
    const channel = new URL(req.url ?? '/', 'http://x').searchParams.get('channel') ?? '';
    for (const piece of outgoing.get(channel) ?? []) ws.send(piece);
  });
});
after(async () => {
  wss.close();
  await rm(root, { recursive: true, force: true });
});

function store(maxVirtualBytes = 1024 ** 3) {
  const port = (wss.address() as { port: number }).port;
  return new ImageStore({
    pools: {
      targetPath: async (name) => {
        if (name !== 'images') throw new VireoError('NOT_FOUND', `no pool ${name}`);
        return pool;
      },
      refresh: async () => {
        refreshed++;
      },
    },
    logger: createLogger('error', 'plain'),
    maxVirtualBytes,
    importDirs: [importDir],
    dialChannel: async (channelId) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?channel=${channelId}`);
      ws.binaryType = 'nodebuffer';
      const channel = holdChannel(ws);
      await new Promise((res, rej) => ws.once('open', res).once('error', rej));
      return channel;
    },
  });
}

let seq = 0;
const channel = () => `channel-${String(++seq).padStart(12, '0')}`;

async function upload(s: ImageStore, uploadId: string, data: Buffer, chunk = 300_000) {
  for (let offset = 0; offset < data.length; offset += chunk) {
    const piece = data.subarray(offset, offset + chunk);
    const ch = channel();
    // Several WebSocket messages per chunk, as the manager forwards the body piecemeal.
    outgoing.set(
      ch,
      [piece.subarray(0, 1000), piece.subarray(1000)].filter((b) => b.length > 0),
    );
    const r = await s.uploadChunk({
      uploadId,
      pool: 'images',
      offset,
      length: piece.length,
      size: data.length,
      channelId: ch,
    });
    assert.equal(r.offset, offset + piece.length);
  }
}

const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { stdio: 'pipe' });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('a qcow2 uploaded in chunks becomes a volume with the same bytes; the part file is gone', async () => {
  const src = join(root, 'good.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', src, '64M');
  qemuImg('resize', '-q', src, '80M'); // some metadata churn, still a plain qcow2
  const data = await readFile(src);
  const s = store();
  await upload(s, 'upload00good', data);
  assert.deepEqual(await s.uploadStatus({ uploadId: 'upload00good', pool: 'images' }), { offset: data.length });
  const before = refreshed;
  const { volume } = await s.uploadCommit({
    uploadId: 'upload00good',
    pool: 'images',
    name: 'good.qcow2',
    format: 'qcow2',
    size: data.length,
    maxVirtualBytes: 1024 ** 3,
  });
  assert.equal(volume.format, 'qcow2');
  assert.equal(volume.virtualBytes, 80 * 1024 * 1024);
  assert.equal(sha(await readFile(join(pool, 'good.qcow2'))), sha(data));
  assert.equal(refreshed, before + 1);
  assert.deepEqual(
    (await readdir(pool)).filter((n) => n.startsWith('.')),
    [],
  );
});

test('a chunk at the wrong offset is refused with the offset the host has', async () => {
  const s = store();
  const data = Buffer.alloc(10_000, 7);
  await upload(s, 'upload0offset', data.subarray(0, 4000), 4000);
  await assert.rejects(
    s.uploadChunk({
      uploadId: 'upload0offset',
      pool: 'images',
      offset: 6000,
      length: 10,
      size: 10_000,
      channelId: channel(),
    }),
    (err) => VireoError.is(err, 'CONFLICT') && /resume from offset 4000/.test(err.message),
  );
  await s.uploadAbort({ uploadId: 'upload0offset', pool: 'images' });
  assert.equal(existsSync(join(pool, '.upload-upload0offset.part')), false);
});

test('a symlink planted at the part file name is not followed', async () => {
  const target = join(root, 'victim');
  await writeFile(target, 'keep me');
  await symlink(target, join(pool, '.upload-upload0symlnk.part'));
  const s = store();
  await assert.rejects(
    s.uploadChunk({ uploadId: 'upload0symlnk', pool: 'images', offset: 0, length: 3, size: 3, channelId: channel() }),
    (err) => VireoError.is(err, 'BAD_INPUT', 'image') && /symlink/.test(err.message),
  );
  assert.equal(await readFile(target, 'utf8'), 'keep me');
  await rm(join(pool, '.upload-upload0symlnk.part'));
});

async function refusedUpload(id: string, file: string, name: string, format: 'qcow2' | 'raw' | 'iso', why: RegExp) {
  const data = await readFile(file);
  const s = store();
  await upload(s, id, data, data.length);
  await assert.rejects(
    s.uploadCommit({ uploadId: id, pool: 'images', name, format, size: data.length, maxVirtualBytes: 1024 ** 3 }),
    (err) => VireoError.is(err, 'BAD_INPUT', 'image') && why.test(err.message),
  );
  assert.equal(existsSync(join(pool, name)), false, 'no volume');
  assert.equal(existsSync(join(pool, `.upload-${id}.part`)), false, 'the refused file is removed');
}

test('refused and removed: hostile backing file, qcow2 claimed as raw, oversize, wrong name ending, fake ISO', async () => {
  const backed = join(root, 'backed.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-b', '/etc/passwd', '-F', 'raw', backed);
  await refusedUpload('upload0backed', backed, 'backed.qcow2', 'qcow2', /backing file.*\/etc\/passwd/);

  const outside = join(root, 'outside.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-b', '../good.qcow2', '-F', 'qcow2', '-u', outside, '1M');
  await refusedUpload('upload00outsd', outside, 'outside.qcow2', 'qcow2', /backing file/);

  await refusedUpload('upload000lies', backed, 'lies.img', 'raw', /given as raw but its content is qcow2/);

  const huge = join(root, 'huge.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', huge, '2T');
  await refusedUpload('upload000huge', huge, 'huge.qcow2', 'qcow2', /virtual size of 2048\.0 GiB, over the limit/);

  const raw = join(root, 'plain.img');
  await writeFile(raw, Buffer.alloc(64 * 1024));
  await refusedUpload('upload000name', raw, 'plain.qcow2', 'raw', /does not end in \.img or \.raw/);
  await refusedUpload('upload0000iso', raw, 'fake.iso', 'iso', /no ISO 9660 signature/);
});

test('an ISO with its signature is accepted as iso', async () => {
  const iso = Buffer.alloc(64 * 1024);
  iso.write('CD001', 32769, 'latin1');
  const file = join(root, 'disc.iso');
  await writeFile(file, iso);
  const data = await readFile(file);
  const s = store();
  await upload(s, 'upload0000dsc', data, data.length);
  const { volume } = await s.uploadCommit({
    uploadId: 'upload0000dsc',
    pool: 'images',
    name: 'disc.iso',
    format: 'iso',
    size: data.length,
    maxVirtualBytes: 1024 ** 3,
  });
  assert.equal(volume.format, 'iso');
});

test('an existing volume is never overwritten', async () => {
  await writeFile(join(pool, 'taken.img'), 'old');
  const data = Buffer.alloc(4096, 1);
  const s = store();
  await upload(s, 'upload00taken', data, data.length);
  await assert.rejects(
    s.uploadCommit({
      uploadId: 'upload00taken',
      pool: 'images',
      name: 'taken.img',
      format: 'raw',
      size: 4096,
      maxVirtualBytes: 1024 ** 3,
    }),
    (err) => VireoError.is(err, 'CONFLICT'),
  );
  assert.equal(await readFile(join(pool, 'taken.img'), 'utf8'), 'old');
});

test('import copies from an import directory with progress; symlinks and other directories are refused', async () => {
  const src = join(importDir, 'base.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', src, '32M');
  const s = store();
  const seen: number[] = [];
  const { volume } = await s.importFile(
    { sourcePath: src, pool: 'images', name: 'imported.qcow2', format: 'qcow2', maxVirtualBytes: 1024 ** 3 },
    (p) => seen.push(p),
  );
  assert.equal(volume.name, 'imported.qcow2');
  assert.equal(sha(await readFile(join(pool, 'imported.qcow2'))), sha(await readFile(src)));
  assert.ok(seen.length > 0);

  await symlink(src, join(importDir, 'link.qcow2'));
  await assert.rejects(
    s.importFile(
      {
        sourcePath: join(importDir, 'link.qcow2'),
        pool: 'images',
        name: 'viasym.qcow2',
        format: 'qcow2',
        maxVirtualBytes: 1024 ** 3,
      },
      () => {},
    ),
    (err) => VireoError.is(err, 'BAD_INPUT', 'image') && /symbolic link/.test(err.message),
  );
  await assert.rejects(
    s.importFile(
      { sourcePath: '/etc/passwd', pool: 'images', name: 'passwd.img', format: 'raw', maxVirtualBytes: 1024 ** 3 },
      () => {},
    ),
    (err) =>
      VireoError.is(err, 'BAD_INPUT', 'image') && /not inside a directory this host imports from/.test(err.message),
  );
  assert.deepEqual(
    (await readdir(pool)).filter((n) => n.startsWith('.') || n.startsWith('vias') || n.startsWith('passwd')),
    [],
  );
});
