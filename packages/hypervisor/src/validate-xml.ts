/**
 * Checks generated XML against libvirt's own RNG schemas with `virt-xml-validate` (from
 * libvirt-clients) before libvirt ever sees it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VireoError } from '@vireo/protocol';

const run = promisify(execFile);

export async function validateXml(
  xml: string,
  schema: 'domain' | 'capability' | 'storagepool' | 'storagevol' | 'network' | 'nwfilter' = 'domain',
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-xml-'));
  const file = join(dir, `${schema}.xml`);
  try {
    await writeFile(file, xml, { mode: 0o600 });
    await run('virt-xml-validate', [file, schema], { timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') {
      throw new VireoError('INTERNAL', 'virt-xml-validate is not installed (package libvirt-clients).');
    }
    const detail = `${e.stderr ?? ''}${e.stdout ?? ''}`.replaceAll(file, schema).trim() || e.message;
    throw new VireoError('BAD_INPUT', `The generated ${schema} XML does not match libvirt's schema: ${detail}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
