/**
 * A VM's NoCloud seed: the agent builds the ISO (cloud-init.ts) as the VM's own file in the VM
 * storage dir, `<uuid>.seed.iso`, so it is journalled, rolled back and deleted with the VM like
 * its overlay, and attaches it as a read-only CD-ROM.
 */
import { join } from 'node:path';
import type { DomainDisk } from '@vireo/hypervisor';
import type { CloudInitSeed } from '@vireo/protocol';
import { writeSeedIso } from './cloud-init.ts';

export const seedIsoPath = (dir: string, uuid: string) => join(dir, `${uuid}.seed.iso`);

/**
 * Writes the seed and returns its drive. virtio-scsi, not SATA: it works on pc and q35 alike,
 * and cloud kernels often lack AHCI (the lab guest's does), so a SATA CD-ROM would be invisible.
 * The instance id is the VM's uuid unless the seed names one: a new VM is a new instance.
 */
export async function writeSeedDrive(seed: CloudInitSeed, path: string, uuid: string): Promise<DomainDisk> {
  await writeSeedIso({ ...seed, instanceId: seed.instanceId ?? `iid-${uuid}` }, path);
  return { path, device: 'cdrom', bus: 'scsi', format: 'raw', readOnly: true };
}
