/**
 * What an image must pass before it becomes a volume in a pool (uploaded or imported): it is a
 * plain file of its own inside the pool, its format is the one claimed (and not another format
 * dressed as raw), it points at nothing outside the pool, and its virtual size is within the limit.
 * A refusal says which check failed, what was found and what to do.
 */
import { execFile } from 'node:child_process';
import { lstat, open, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { type ImageFormat, VireoError } from '@vireo/protocol';
import { isInside } from './files.ts';

const run = promisify(execFile);

/** Default ceiling on an image's virtual size (agent config `imageMaxVirtualGiB`). */
export const DEFAULT_MAX_VIRTUAL_GIB = 512;

/** ISO 9660: the primary volume descriptor's "CD001" identifier sits at byte 32769. */
const ISO_MAGIC_OFFSET = 32769;
const ISO_MAGIC = 'CD001';

export interface ImageFacts {
  format: ImageFormat;
  virtualBytes: number;
  allocationBytes: number;
}

/** The part of `qemu-img info --output=json` we read. */
interface QemuImgInfo {
  format?: string;
  'virtual-size'?: number;
  'actual-size'?: number;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  'format-specific'?: { type?: string; data?: { 'data-file'?: string } };
}

export function refused(check: string, message: string): VireoError {
  return new VireoError('BAD_INPUT', `Image refused (${check}): ${message}`, { object: 'image' });
}

const GIB = 1024 ** 3;
const gib = (n: number) => `${(n / GIB).toFixed(n < GIB ? 3 : 1)} GiB`;

export async function qemuImgInfo(path: string, format?: string): Promise<QemuImgInfo> {
  // -U: read without taking QEMU's image lock; nothing else has this file open yet.
  const args = ['info', '--output=json', '-U', ...(format ? ['-f', format] : []), path];
  const { stdout } = await run('qemu-img', args, { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 });
  return JSON.parse(stdout) as QemuImgInfo;
}

const stderrOf = (err: unknown) =>
  ((err as { stderr?: string }).stderr || (err as Error).message || String(err)).trim().slice(0, 500);

/** Not a symlink, not a device or directory, no other name (hard link), inside the pool. */
export async function checkPlainFile(path: string, poolDir: string, label = path): Promise<void> {
  const st = await lstat(path);
  if (st.isSymbolicLink())
    throw refused('symlink', `${label} is a symbolic link. Give the path of the image file itself.`);
  if (!st.isFile())
    throw refused('not a file', `${label} is not a regular file (a device, directory or socket). Give an image file.`);
  if (st.nlink !== 1)
    throw refused(
      'hard link',
      `${label} has ${st.nlink} names (hard links); an image must be a file of its own. Copy it instead of linking it.`,
    );
  const [real, pool] = await Promise.all([realpath(path), realpath(poolDir)]);
  if (!isInside(pool, real))
    throw refused('outside the pool', `${label} resolves to ${real}, outside the pool ${pool}.`);
}

/** The backing file, if any, must be a file inside the same pool. */
async function checkBacking(info: QemuImgInfo, label: string, poolDir: string): Promise<void> {
  const backing = info['backing-filename'];
  if (!backing) return;
  const pool = await realpath(poolDir);
  const candidate = resolve(pool, backing);
  let real: string | undefined;
  try {
    real = await realpath(candidate);
  } catch {
    real = undefined;
  }
  if (!real || !isInside(pool, real) || !(await lstat(real)).isFile()) {
    throw refused(
      'backing file',
      `${label} has the backing file "${backing.slice(0, 300)}", which is not a file inside the pool ${pool}. Upload a standalone image (qemu-img convert -O qcow2 to flatten it).`,
    );
  }
}

/** For an ISO: the ISO 9660 signature. */
async function checkIsoSignature(path: string, label: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(ISO_MAGIC.length);
    const { bytesRead } = await fh.read(buf, 0, buf.length, ISO_MAGIC_OFFSET);
    if (bytesRead !== buf.length || buf.toString('latin1') !== ISO_MAGIC) {
      throw refused(
        'format',
        `${label} was given as an ISO but has no ISO 9660 signature ("CD001" at byte ${ISO_MAGIC_OFFSET}). Give the right format, or a real ISO.`,
      );
    }
  } finally {
    await fh.close();
  }
}

/**
 * Runs every check on `path` (a file inside `poolDir`) claimed to be `claimed`; throws a
 * BAD_INPUT error naming the failed check. Removing a refused file is the caller's job.
 */
export async function checkImage(
  path: string,
  poolDir: string,
  claimed: ImageFormat,
  maxVirtualBytes: number,
  /** How the file is named in messages (the volume's name, not the part file's). */
  label = path,
): Promise<ImageFacts> {
  await checkPlainFile(path, poolDir, label);
  const qemuFormat = claimed === 'qcow2' ? 'qcow2' : 'raw';
  let info: QemuImgInfo;
  try {
    info = await qemuImgInfo(path, qemuFormat);
  } catch (err) {
    throw refused('format', `${label} is not a valid ${claimed} image: qemu-img says: ${stderrOf(err)}`);
  }
  // Opened as raw, any file "works": probe too, so a qcow2 (whose backing file or data file
  // QEMU would then follow) cannot pass as raw and be handed to a guest as its disk bytes.
  let probed: QemuImgInfo;
  try {
    probed = await qemuImgInfo(path);
  } catch (err) {
    throw refused('format', `qemu-img could not read ${label}: ${stderrOf(err)}`);
  }
  if (probed.format !== qemuFormat) {
    throw refused(
      'format',
      `${label} was given as ${claimed} but its content is ${probed.format ?? 'unknown'}. Give its real format (and the matching file name ending).`,
    );
  }
  if (claimed === 'iso') await checkIsoSignature(path, label);
  await checkBacking(info, label, poolDir);
  const dataFile = info['format-specific']?.data?.['data-file'];
  if (dataFile) {
    throw refused(
      'data file',
      `${label} keeps its data in an external file "${dataFile.slice(0, 300)}". Upload a self-contained image.`,
    );
  }
  const virtualBytes = info['virtual-size'] ?? 0;
  if (virtualBytes > maxVirtualBytes) {
    throw refused(
      'virtual size',
      `${label} has a virtual size of ${gib(virtualBytes)}, over the limit of ${gib(maxVirtualBytes)}. Shrink the image, or raise the limit (VIREO_IMAGE_MAX_VIRTUAL_GIB on the manager and the agent).`,
    );
  }
  return { format: claimed, virtualBytes, allocationBytes: info['actual-size'] ?? 0 };
}
