/**
 * Storage errors keep the OS's reason and get their own codes. The permission cases are real:
 * as root only the immutable attribute (chattr +i, ext4/xfs) makes create and unlink fail.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { VireoError } from '@vireo/protocol';
import { createOverlay, deleteVolume, storageCodeOfErrno, storageCodeOfMessage } from '../src/volumes.ts';

const exec = promisify(execFile);
let dir = '';
let base = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vireo-volumes-'));
  base = join(dir, 'base.qcow2');
  await exec('qemu-img', ['create', '-q', '-f', 'qcow2', base, '1M']);
});
after(async () => {
  await exec('chattr', ['-R', '-i', dir]).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

test('errno names map to the storage codes', () => {
  assert.equal(storageCodeOfErrno('ENOSPC'), 'STORAGE_NO_SPACE');
  assert.equal(storageCodeOfErrno('EDQUOT'), 'STORAGE_NO_SPACE');
  for (const e of ['EACCES', 'EPERM', 'EROFS']) assert.equal(storageCodeOfErrno(e), 'STORAGE_PERMISSION_DENIED');
  assert.equal(storageCodeOfErrno('EIO'), 'STORAGE_ERROR');
  assert.equal(storageCodeOfErrno(undefined), 'STORAGE_ERROR');
});

test("qemu-img's stderr maps to the storage codes", () => {
  // Captured from qemu-img 7.2 on a full tmpfs, an immutable directory and a read-only mount.
  const full = 'qemu-img: /t/x.qcow2: Could not write qcow2 header: No space left on device';
  const denied = "qemu-img: /t/x.qcow2: Could not create '/t/x.qcow2': Operation not permitted";
  const ro = "qemu-img: /t/y.qcow2: Could not create '/t/y.qcow2': Read-only file system";
  assert.equal(storageCodeOfMessage(full), 'STORAGE_NO_SPACE');
  assert.equal(storageCodeOfMessage(denied), 'STORAGE_PERMISSION_DENIED');
  assert.equal(storageCodeOfMessage(ro), 'STORAGE_PERMISSION_DENIED');
  assert.equal(storageCodeOfMessage("Could not open '/t/b': Permission denied"), 'STORAGE_PERMISSION_DENIED');
  assert.equal(storageCodeOfMessage('Image is corrupt'), 'STORAGE_ERROR');
});

test('an overlay in an immutable directory: STORAGE_PERMISSION_DENIED with the OS reason', async () => {
  const locked = join(dir, 'locked');
  await exec('mkdir', [locked]);
  await exec('chattr', ['+i', locked]);
  const err = await createOverlay(base, join(locked, 'x.qcow2')).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(VireoError.is(err, 'STORAGE_PERMISSION_DENIED', 'disk'), String(err));
  assert.match(err.message, /Operation not permitted/);
  await exec('chattr', ['-i', locked]);
});

test('an overlay in a missing directory: STORAGE_ERROR, not INTERNAL', async () => {
  const err = await createOverlay(base, join(dir, 'nowhere', 'x.qcow2')).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(VireoError.is(err, 'STORAGE_ERROR', 'disk'), String(err));
  assert.match(err.message, /No such file or directory/);
});

test('removing an immutable file: STORAGE_PERMISSION_DENIED naming the file; a missing file is fine', async () => {
  const file = join(dir, 'pinned.qcow2');
  await writeFile(file, 'x');
  await exec('chattr', ['+i', file]);
  const err = await deleteVolume(file).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(VireoError.is(err, 'STORAGE_PERMISSION_DENIED', 'disk'), String(err));
  assert.match(err.message, /operation not permitted/i);
  assert.ok(err.message.includes(file));
  assert.ok(existsSync(file));
  await exec('chattr', ['-i', file]);
  await deleteVolume(file);
  assert.ok(!existsSync(file));
  await deleteVolume(file); // already gone: idempotent
});
