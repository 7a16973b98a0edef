/**
 * A VM's hardware: boot, disks and NICs. One vocabulary for the manager (tRPC input, database),
 * the agent (vm.create) and the hypervisor package (domain XML), so a bus or model means the
 * same thing everywhere. libvirt's names are kept (virtio, sata, scsi, e1000, hd, cdrom, network).
 */
import { z } from 'zod';
import { cloudInitSeedSchema } from '../cloud-init.ts';
import { macSchema } from './networks.ts';

export const MAX_VM_DISKS = 16;
export const MAX_VM_NICS = 8;
/** A blank disk's size: 1 MiB to 64 TiB. */
export const DISK_BYTES_MIN = 1024 * 1024;
export const DISK_BYTES_MAX = 64 * 1024 ** 4;

export const firmwareSchema = z.enum(['bios', 'uefi']);

/**
 * UEFI guests need this much memory: OVMF 2022.11 on q35 with 128 MiB stopped with an exception
 * ("Can't find image information") before loading the kernel; with 256 MiB the lab guest booted
 * to READY (lab, TCG, firmware autoselected).
 */
export const UEFI_MIN_MEMORY_MIB = 256;
export type Firmware = z.infer<typeof firmwareSchema>;

export const bootDeviceSchema = z.enum(['hd', 'cdrom', 'network']);
export type BootDevice = z.infer<typeof bootDeviceSchema>;

export const diskBusSchema = z.enum(['virtio', 'sata', 'scsi']);
export type DiskBus = z.infer<typeof diskBusSchema>;

export const diskDeviceSchema = z.enum(['disk', 'cdrom']);
export type DiskDevice = z.infer<typeof diskDeviceSchema>;

export const diskFormatSchema = z.enum(['qcow2', 'raw']);
export type DiskFormat = z.infer<typeof diskFormatSchema>;

export const nicModelSchema = z.enum(['virtio', 'e1000']);
export type NicModel = z.infer<typeof nicModelSchema>;

/**
 * libvirt object names Vireo writes into XML and file names: pools, volumes, networks, network
 * filters. Conservative, like VM names: no path separators, no XML metacharacters, no spaces.
 */
export const libvirtNameSchema = z
  .string()
  .min(1, 'Name is required.')
  .max(100, 'Name must be at most 100 characters.')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'Name may contain only letters, digits, ".", "-" and "_", and must start with a letter or digit.',
  );

/** CD-ROMs sit on SATA or SCSI (virtio-blk cannot carry removable media). */
export function busAllowsDevice(bus: DiskBus, device: DiskDevice): boolean {
  return device === 'disk' || bus !== 'virtio';
}

/** The boot settings of a VM; the kernel option is direct kernel boot (the lab's old template). */
export const vmBootSchema = z.object({
  firmware: firmwareSchema.default('bios'),
  order: z.array(bootDeviceSchema).min(1).max(3).default(['hd']),
});
export type VmBoot = z.infer<typeof vmBootSchema>;

const absolutePath = z
  .string()
  .max(4096)
  .regex(/^\/[^\0]*$/, 'must be an absolute path');

/** A volume in a storage pool of the VM's host, by names. */
export const volumeRefSchema = z.object({ pool: libvirtNameSchema, volume: libvirtNameSchema });
export type VolumeRef = z.infer<typeof volumeRefSchema>;

/**
 * How a disk's volume comes to be: a linked clone of a base (qcow2 whose backing file is the
 * base, which is only ever read), a full copy, a blank volume, a volume that already exists (never
 * created nor deleted by the VM), or an empty CD-ROM drive. Only the first three are the VM's
 * own: rolled back if its create fails, deleted with it.
 */
export const diskProvisionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('linkedFrom'), base: volumeRefSchema }),
  z.object({ kind: z.literal('copyFrom'), source: volumeRefSchema }),
  z.object({ kind: z.literal('blank'), sizeBytes: z.number().int().min(DISK_BYTES_MIN).max(DISK_BYTES_MAX) }),
  z.object({ kind: z.literal('existing') }),
  z.object({ kind: z.literal('empty') }),
]);
export type DiskProvision = z.infer<typeof diskProvisionSchema>;

export function provisionMakesVolume(p: DiskProvision): boolean {
  return p.kind === 'linkedFrom' || p.kind === 'copyFrom' || p.kind === 'blank';
}

export const vmDiskSchema = z
  .object({
    device: diskDeviceSchema,
    bus: diskBusSchema,
    format: diskFormatSchema,
    readOnly: z.boolean(),
    /** Absent only for an empty CD-ROM drive. */
    volume: volumeRefSchema.optional(),
    provision: diskProvisionSchema,
  })
  .superRefine((d, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, message });
    if (!busAllowsDevice(d.bus, d.device)) issue('A CD-ROM must be on the SATA or SCSI bus.');
    if (d.provision.kind === 'empty' && d.device !== 'cdrom') issue('Only a CD-ROM drive can be empty.');
    if ((d.provision.kind === 'empty') !== !d.volume) issue('Every drive but an empty CD-ROM names its volume.');
    if (d.device === 'cdrom' && provisionMakesVolume(d.provision)) issue('A CD-ROM shows an existing volume.');
    if (d.provision.kind === 'linkedFrom' && d.format !== 'qcow2') issue('A linked clone is a qcow2 volume.');
  });
export type VmDisk = z.infer<typeof vmDiskSchema>;

export const vmNicSchema = z.object({
  network: libvirtNameSchema,
  model: nicModelSchema,
  mac: macSchema,
  /** A libvirt nwfilter name enforced on the NIC (security groups). */
  filter: libvirtNameSchema.optional(),
});
export type VmNic = z.infer<typeof vmNicSchema>;

/** The hardware part of vm.create, as the agent receives it: every name and MAC already chosen. */
export const vmHardwareSchema = z
  .object({
    boot: z.object({
      firmware: firmwareSchema,
      order: z.array(bootDeviceSchema).min(1).max(3),
      /** Direct kernel boot instead of a boot loader on a disk. */
      kernel: z
        .object({ kernelPath: absolutePath, initrdPath: absolutePath, cmdline: z.string().max(1024) })
        .optional(),
    }),
    disks: z.array(vmDiskSchema).max(MAX_VM_DISKS),
    nics: z.array(vmNicSchema).max(MAX_VM_NICS),
    cloudInit: cloudInitSeedSchema.optional(),
  })
  .superRefine((h, ctx) => {
    const seen = new Set<string>();
    for (const d of h.disks) {
      if (!d.volume) continue;
      const key = `${d.volume.pool}/${d.volume.volume}`;
      if (seen.has(key)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `Volume ${key} is used twice.` });
      seen.add(key);
    }
    const macs = new Set(h.nics.map((n) => n.mac));
    if (macs.size !== h.nics.length) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'Two NICs share a MAC.' });
  });
export type VmHardware = z.infer<typeof vmHardwareSchema>;

/** A drive as created, read back from libvirt, with the volume it came from. */
export const createdDriveSchema = z.object({
  volume: volumeRefSchema.optional(),
  path: z.string().max(4096).optional(),
  device: z.string().max(16),
  bus: z.string().max(16),
  target: z.string().max(16),
  format: z.string().max(16),
  readOnly: z.boolean(),
  /** Virtual size of the volume (absent for an empty CD-ROM). */
  sizeBytes: z.number().int().nonnegative().optional(),
});
export const createdNicSchema = z.object({
  mac: z.string().max(17),
  network: z.string().max(100).optional(),
  model: z.string().max(32).optional(),
});
export const createdHardwareSchema = z.object({
  firmware: firmwareSchema,
  drives: z.array(createdDriveSchema).max(64),
  nics: z.array(createdNicSchema).max(64),
});
export type CreatedHardware = z.infer<typeof createdHardwareSchema>;
