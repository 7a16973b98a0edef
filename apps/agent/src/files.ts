/**
 * A VM's own files in the VM storage dir: `<uuid>.qcow2` (its overlay), `<uuid>.serial.log` and
 * `<uuid>.domain.xml` (the copy of its definition for HA restarts, ha/domain-copy.ts; not a disk).
 * Nothing outside that dir is ever removed, so a template's base image can never go with a VM.
 */
import { readdir } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import type { Hypervisor } from '@vireo/hypervisor';
import { type FileError, type VmFile, toErrorPayload, uuidSchema } from '@vireo/protocol';

export const overlayPath = (dir: string, uuid: string) => join(dir, `${uuid}.qcow2`);
export const serialLogPath = (dir: string, uuid: string) => join(dir, `${uuid}.serial.log`);
export const domainXmlPath = (dir: string, uuid: string) => join(dir, `${uuid}.domain.xml`);
/** Files of a VM that are not disks: never reported as deleted disks. */
export const isNotDisk = (path: string) => path.endsWith('.serial.log') || path.endsWith('.domain.xml');

/** True only for a path strictly inside dir (no "..", not dir itself). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Files named after a VM: its overlay, serial log, cloud-init seed (vm-seed.ts) and definition copy. */
const VM_FILE =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(qcow2|serial\.log|seed\.iso|domain\.xml)$/;

/** The uuid a Vireo-named file belongs to, or null for any other file. */
export function vmFileUuid(path: string): string | null {
  const m = VM_FILE.exec(basename(path));
  return m?.[1] && uuidSchema.safeParse(m[1]).success ? m[1] : null;
}

/** The Vireo-named files directly inside the VM storage dir (at most 10 000). */
export async function listVmFiles(dir: string): Promise<VmFile[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const files: VmFile[] = [];
  for (const name of names) {
    const uuid = vmFileUuid(name);
    if (uuid) files.push({ uuid, path: join(dir, name) });
    if (files.length === 10_000) break;
  }
  return files;
}

/**
 * Removes files, each only if it lies inside `dir` (never a template's base image elsewhere);
 * reports what is gone and what could not be removed, with the storage error.
 */
export async function removeFiles(
  hv: Pick<Hypervisor, 'deleteVolume'>,
  dir: string,
  paths: string[],
): Promise<{ removed: string[]; notRemoved: FileError[] }> {
  const removed: string[] = [];
  const notRemoved: FileError[] = [];
  for (const path of paths) {
    if (!isInside(dir, path)) {
      notRemoved.push({ path, code: 'FORBIDDEN', message: `${path} is outside the VM storage dir ${dir}; kept.` });
      continue;
    }
    try {
      await hv.deleteVolume(path);
      removed.push(path);
    } catch (err) {
      const { code, message } = toErrorPayload(err);
      notRemoved.push({ path, code, message });
    }
  }
  return { removed, notRemoved };
}
