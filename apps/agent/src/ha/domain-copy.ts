/**
 * The copy of each Vireo VM's definition beside its disk: `<vmStorageDir>/<uuid>.domain.xml`, the
 * persistent (inactive) XML as libvirt has it. When the VM's host dies, another host defines the
 * VM from it (`ha.restart`, restart.ts): the dead host's libvirt cannot be asked.
 *
 * Kept for every domain whose serial log or a disk lies in the VM storage dir (a Vireo VM; a
 * domain made by hand elsewhere is not ours to copy): at agent start for all, then after every
 * `defined` event (create, edit, migration in). It is a Vireo-named file (files.ts), so it goes
 * with the VM on delete and an orphan is swept like any other.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Hypervisor } from '@vireo/hypervisor';
import { domainXmlPath, isInside, serialLogPath } from '../files.ts';
import type { Logger } from '../logger.ts';
import { writeFileAtomic } from './settings.ts';

type Hv = Pick<Hypervisor, 'listDomains' | 'domainDiskPaths' | 'definitions'>;

/** Whether the domain is a Vireo VM of this storage dir. */
async function isVireoVm(hv: Hv, dir: string, uuid: string): Promise<boolean> {
  if (existsSync(serialLogPath(dir, uuid))) return true;
  const disks = await hv.domainDiskPaths(uuid).catch(() => [] as string[]);
  return disks.some((p) => isInside(dir, p));
}

/**
 * Writes the copy of one domain's definition if it is a Vireo VM and the copy differs.
 * Returns whether a copy is now there. Never throws: a missing copy only means no HA restart.
 */
export async function refreshDomainCopy(hv: Hv, dir: string, uuid: string, logger: Logger): Promise<boolean> {
  try {
    if (!(await isVireoVm(hv, dir, uuid))) return false;
    const xml = await hv.definitions.persistentXml(uuid);
    if (xml === null) return false;
    const path = domainXmlPath(dir, uuid);
    const old = await readFile(path, 'utf8').catch(() => null);
    if (old !== xml) await writeFileAtomic(path, xml);
    return true;
  } catch (err) {
    logger.warn('could not keep the copy of a domain definition on the VM storage', { uuid, err });
    return false;
  }
}

/** At start: a copy for every Vireo VM defined here. */
export async function refreshAllDomainCopies(hv: Hv, dir: string, logger: Logger): Promise<number> {
  let n = 0;
  const domains = await hv.listDomains().catch((err) => {
    logger.warn('could not list domains to copy their definitions', { err });
    return [];
  });
  for (const d of domains) if (await refreshDomainCopy(hv, dir, d.uuid, logger)) n++;
  return n;
}
