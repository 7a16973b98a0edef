/**
 * NoCloud seeds: an ISO9660 volume labelled `cidata` holding `meta-data` and `user-data`,
 * attached to a VM as a CD-ROM; cloud-init (or the lab guest's /init) reads it at boot.
 *
 * Values are never pasted into YAML: meta-data and the generated #cloud-config are JSON, which
 * YAML parsers read as the same data, so a hostile string cannot add keys or documents. The
 * input is validated again here (cloudInitSeedSchema) whatever the caller checked.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { storageCodeOfErrno } from '@vireo/hypervisor';
import { type CloudInitSeed, VireoError, cloudInitSeedSchema } from '@vireo/protocol';

const run = promisify(execFile);

export interface SeedFiles {
  metaData: string;
  userData: string;
}

/** Parses the seed input; anything invalid is BAD_INPUT with the first problem's message. */
export function parseSeed(input: unknown): CloudInitSeed {
  const parsed = cloudInitSeedSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new VireoError('BAD_INPUT', `Invalid cloud-init seed: ${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** The text of meta-data and user-data for a seed. */
export function seedFiles(input: unknown): SeedFiles {
  const seed = parseSeed(input);
  const parts: { type: string; body: string }[] = [];
  if (seed.user) {
    const config = {
      users: [
        {
          name: seed.user.name,
          ssh_authorized_keys: seed.user.sshAuthorizedKeys,
          sudo: 'ALL=(ALL) NOPASSWD:ALL',
          lock_passwd: true,
        },
      ],
    };
    parts.push({ type: 'text/cloud-config', body: `#cloud-config\n${JSON.stringify(config, null, 2)}\n` });
  }
  if (seed.userData !== undefined) {
    parts.push({
      type: seed.userData.startsWith('#!') ? 'text/x-shellscript' : 'text/cloud-config',
      body: seed.userData,
    });
  }
  const userData = parts.length === 0 ? '#cloud-config\n{}\n' : parts.length === 1 ? parts[0]!.body : multipart(parts);
  // cloud-init runs per-instance modules again only when instance-id changes: derive it from
  // the content so a changed seed applies, an unchanged one does not.
  const instanceId =
    seed.instanceId ??
    `iid-${createHash('sha256').update(seed.hostname).update('\0').update(userData).digest('hex').slice(0, 16)}`;
  const metaData = `${JSON.stringify({ 'instance-id': instanceId, 'local-hostname': seed.hostname }, null, 2)}\n`;
  return { metaData, userData };
}

/** Both parts in one user-data, as cloud-init expects (MIME multipart/mixed). */
function multipart(parts: { type: string; body: string }[]): string {
  let boundary: string;
  do boundary = `==VIREO-${randomBytes(12).toString('hex')}==`;
  while (parts.some((p) => p.body.includes(boundary)));
  const lines = [`Content-Type: multipart/mixed; boundary="${boundary}"`, 'MIME-Version: 1.0', ''];
  for (const p of parts) {
    lines.push(`--${boundary}`, `Content-Type: ${p.type}; charset="utf-8"`, 'MIME-Version: 1.0', '');
    lines.push(p.body.endsWith('\n') ? p.body.slice(0, -1) : p.body);
  }
  lines.push(`--${boundary}--`, '');
  return lines.join('\n');
}

/**
 * Writes the seed ISO to `path` (absolute), replacing any file there only once the new one is
 * complete. genisoimage with Rock Ridge + Joliet keeps the lowercase names cloud-init looks for.
 */
export async function writeSeedIso(input: unknown, path: string): Promise<SeedFiles> {
  if (!isAbsolute(path)) throw new VireoError('BAD_INPUT', `The seed path must be absolute: ${path}`);
  const files = seedFiles(input);
  const work = await mkdtemp(join(tmpdir(), 'vireo-seed-'));
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.seed.tmp`);
  try {
    await writeFile(join(work, 'meta-data'), files.metaData);
    await writeFile(join(work, 'user-data'), files.userData);
    try {
      await run(
        'genisoimage',
        [
          '-quiet',
          '-output',
          tmp,
          '-volid',
          'cidata',
          '-joliet',
          '-rock',
          '-input-charset',
          'utf-8',
          'user-data',
          'meta-data',
        ],
        { cwd: work, timeout: 60_000 },
      );
    } catch (err) {
      const e = err as { stderr?: string; message: string; code?: string };
      if (e.code === 'ENOENT') throw new VireoError('INTERNAL', 'genisoimage is not installed on this host.');
      const reason = (e.stderr || e.message).trim();
      const code = /No space left/i.test(reason)
        ? 'STORAGE_NO_SPACE'
        : /Permission denied/i.test(reason)
          ? 'STORAGE_PERMISSION_DENIED'
          : 'STORAGE_ERROR';
      throw new VireoError(code, `Could not write the seed ISO ${path}: ${reason}`, { object: 'disk' });
    }
    try {
      await rename(tmp, path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new VireoError(storageCodeOfErrno(e.code), `Could not write the seed ISO ${path}: ${e.message}`, {
        object: 'disk',
      });
    }
    return files;
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(tmp, { force: true });
  }
}
