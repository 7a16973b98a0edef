/**
 * Disk files. A linked clone is a qcow2 overlay whose backing file is the template's base image:
 * the base is only ever read, every write lands in the overlay.
 *
 * Storage failures leave here as STORAGE_NO_SPACE, STORAGE_PERMISSION_DENIED or STORAGE_ERROR
 * with the OS's own reason, so the user reads "No space left on device", not INTERNAL.
 */
import { execFile } from 'node:child_process';
import { stat, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { type ErrorCode, VireoError } from '@vireo/protocol';

const run = promisify(execFile);

type StorageCode = Extract<ErrorCode, 'STORAGE_NO_SPACE' | 'STORAGE_PERMISSION_DENIED' | 'STORAGE_ERROR'>;

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);
const DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);

/** The storage code for an errno name (ENOSPC, EACCES, ...). */
export function storageCodeOfErrno(errno: string | undefined): StorageCode {
  if (errno && NO_SPACE.has(errno)) return 'STORAGE_NO_SPACE';
  if (errno && DENIED.has(errno)) return 'STORAGE_PERMISSION_DENIED';
  return 'STORAGE_ERROR';
}

/**
 * The storage code for qemu-img's stderr. qemu-img reports the OS's strerror text, not the
 * errno, e.g. "Could not write qcow2 header: No space left on device" or "Could not create
 * '/x.qcow2': Operation not permitted".
 */
export function storageCodeOfMessage(text: string): StorageCode {
  if (/No space left on device|Disk quota exceeded/i.test(text)) return 'STORAGE_NO_SPACE';
  if (/Permission denied|Operation not permitted|Read-only file system/i.test(text)) {
    return 'STORAGE_PERMISSION_DENIED';
  }
  return 'STORAGE_ERROR';
}

export async function createOverlay(basePath: string, path: string): Promise<void> {
  try {
    await stat(basePath);
  } catch {
    throw new VireoError('NOT_FOUND', `The template disk ${basePath} does not exist on this host.`, {
      object: 'template',
    });
  }
  try {
    // -F: the backing format must be explicit, or QEMU refuses to probe it (since QEMU 6.1).
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', basePath, path], {
      timeout: 60_000,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const reason = (e.stderr || e.message).trim();
    throw new VireoError(storageCodeOfMessage(reason), `Could not create the disk ${path}: ${reason}`, {
      object: 'disk',
    });
  }
}

/**
 * Removes a file; a file that is already gone is not an error (deletion is idempotent).
 * `unlink`, not `rm`: on EPERM, Node's rm retries the path as a directory and reports a
 * misleading ENOTDIR from scandir instead of the real reason.
 */
export async function deleteVolume(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return;
    throw new VireoError(storageCodeOfErrno(e.code), `Could not remove ${path}: ${e.message}`, { object: 'disk' });
  }
}
