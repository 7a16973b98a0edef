/**
 * Disk files. A linked clone is a qcow2 overlay whose backing file is the template's base image:
 * the base is only ever read, every write lands in the overlay.
 */
import { execFile } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { VireoError } from '@vireo/protocol';

const run = promisify(execFile);

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
    throw new VireoError('INTERNAL', `Could not create the disk ${path}: ${(e.stderr || e.message).trim()}`);
  }
}

/** Removes a file; a file that is already gone is not an error (deletion is idempotent). */
export async function deleteVolume(path: string): Promise<void> {
  await rm(path, { force: true });
}
