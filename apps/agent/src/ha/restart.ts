/**
 * `ha.restart`: defines a VM here from the copy of its definition on shared storage
 * (domain-copy.ts) and starts it. The dead host cannot be asked, and the manager has only its
 * own record of the VM; the copy is libvirt's own XML (its NICs' MACs, its disks, its firmware).
 *
 * The lock manager is the last guard against running one VM twice: while another host still
 * runs it, that host holds its disks and libvirt refuses the start here. Then whatever this call
 * defined is undefined again, so the VM is defined on one host only.
 */
import { readFile } from 'node:fs/promises';
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentResult, VireoError } from '@vireo/protocol';
import { domainXmlPath } from '../files.ts';
import type { Logger } from '../logger.ts';

/**
 * libvirt's words when a disk is held elsewhere. In the lab QEMU's own image lock refuses first
 * (`Failed to get "write" lock ... Is another process using the image`); virtlockd's refusal
 * reads `resource busy: Lockspace resource '...' is locked`.
 */
const LOCKED = /Failed to get "?[a-z]+"? lock|resource busy|Lockspace resource .* is locked/i;

export function isLockRefusal(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const libvirt = err instanceof VireoError ? err.libvirt?.message : undefined;
  return LOCKED.test(libvirt ?? '') || LOCKED.test(err.message);
}

const xmlTag = (xml: string, tag: string) => new RegExp(`<${tag}>\\s*([^<]*?)\\s*</${tag}>`).exec(xml)?.[1];

type Hv = Pick<Hypervisor, 'domain' | 'definitions' | 'startDomain' | 'undefineDomain'>;

export async function haRestart(hv: Hv, dir: string, uuid: string, logger: Logger): Promise<AgentResult<'ha.restart'>> {
  const existing = await hv.domain(uuid);
  if (existing && existing.state !== 'shutoff' && existing.state !== 'crashed') {
    return { domain: existing, alreadyRunning: true };
  }
  let defined = false;
  let name = existing?.name ?? uuid;
  if (!existing) {
    const path = domainXmlPath(dir, uuid);
    const xml = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        throw new VireoError(
          'NOT_FOUND',
          `There is no copy of the definition of VM ${uuid} on the shared storage (${path}): it cannot be restarted here.`,
          { object: 'vm' },
        );
      }
      throw new VireoError('STORAGE_ERROR', `Could not read ${path}: ${err.message}`, { object: 'vm' });
    });
    // The copy is named after the VM, but it is a file anyone with storage access could change.
    if (xmlTag(xml, 'uuid')?.toLowerCase() !== uuid) {
      throw new VireoError('CONFLICT', `The definition copy ${path} is not the one of VM ${uuid}.`, { object: 'vm' });
    }
    name = xmlTag(xml, 'name') ?? uuid;
    await hv.definitions.defineXml(xml, `define VM ${name} from its shared copy`);
    defined = true;
  }
  try {
    await hv.startDomain(uuid);
  } catch (err) {
    if (defined) {
      await hv
        .undefineDomain(uuid, { keepNvram: true }) // the NVRAM file is the running copy's
        .catch((e) =>
          logger.error('ha.restart: could not undefine the VM it defined after the start failed', { uuid, err: e }),
        );
    }
    if (isLockRefusal(err)) {
      logger.warn('ha.restart refused by the lock manager: another host holds the disks', { uuid, name });
      throw new VireoError('CONFLICT', `Another host still holds the disks of VM ${name}; it was not started here.`, {
        object: 'vm',
        details: { locked: true },
        ...(err instanceof VireoError && err.libvirt ? { libvirt: err.libvirt } : {}),
      });
    }
    throw err;
  }
  const domain = await hv.domain(uuid);
  if (!domain) throw new VireoError('OUTCOME_UNKNOWN', `VM ${name} was started but is no longer defined here.`);
  logger.info('ha.restart: VM started from its shared definition copy', { uuid, name, defined });
  return { domain, alreadyRunning: false };
}
