/**
 * A VM's hardware: boot, disks and NICs. One vocabulary for the manager (tRPC input, database),
 * the agent (vm.create) and the hypervisor package (domain XML), so a bus or model means the
 * same thing everywhere. libvirt's names are kept (virtio, sata, scsi, e1000, hd, cdrom, network).
 */
import { z } from 'zod';

export const MAX_VM_DISKS = 16;
export const MAX_VM_NICS = 8;
/** A blank disk's size: 1 MiB to 64 TiB. */
export const DISK_BYTES_MIN = 1024 * 1024;
export const DISK_BYTES_MAX = 64 * 1024 ** 4;

export const firmwareSchema = z.enum(['bios', 'uefi']);
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
 * A MAC address as libvirt writes it (lower case, colons). Vireo chooses them in QEMU's
 * locally administered range 52:54:00:xx:xx:xx; any unicast address is accepted from libvirt.
 */
export const macSchema = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'MAC address must look like 52:54:00:12:34:56 (lower case).')
  .refine((m) => (Number.parseInt(m.slice(0, 2), 16) & 1) === 0, 'MAC address must be unicast.');

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
