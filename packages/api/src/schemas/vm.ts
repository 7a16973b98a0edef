import { VM_SORT_KEYS, VM_STATES } from '@vireo/db';
import {
  busAllowsDevice,
  cloudInitSeedSchema,
  DISK_BYTES_MAX,
  DISK_BYTES_MIN,
  diskBusSchema,
  diskDeviceSchema,
  diskFormatSchema,
  firmwareSchema,
  libvirtNameSchema,
  MAX_VM_DISKS,
  MAX_VM_NICS,
  memoryMiBSchema,
  nicModelSchema,
  UEFI_MIN_MEMORY_MIB,
  VM_NAME_MAX,
  vcpusSchema,
  vmNameSchema,
  volumeRefSchema,
} from '@vireo/protocol';
import { z } from 'zod';
import { tagNameSchema } from './tags.ts';

/**
 * Where a further disk's volume comes from. `blank` and `empty` (a CD-ROM drive with no disc)
 * are for everyone; attaching, cloning or copying a named volume is for admins only, since a
 * volume may hold someone else's data.
 */
export const diskSourceInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('blank'),
    sizeBytes: z
      .number()
      .int()
      .min(DISK_BYTES_MIN, 'A disk must be at least 1 MiB.')
      .max(DISK_BYTES_MAX, 'A disk must be at most 64 TiB.'),
  }),
  z.object({ kind: z.literal('existing'), volume: libvirtNameSchema }),
  z.object({ kind: z.literal('linkedFrom'), base: volumeRefSchema }),
  z.object({ kind: z.literal('copyFrom'), source: volumeRefSchema }),
  z.object({ kind: z.literal('empty') }),
]);

export const diskInput = z
  .object({
    device: diskDeviceSchema.default('disk'),
    bus: diskBusSchema.default('virtio'),
    format: diskFormatSchema.default('qcow2'),
    readOnly: z.boolean().default(false),
    /** The storage pool (on the VM's host) the volume is in or goes to. */
    pool: libvirtNameSchema.default('default'),
    source: diskSourceInput,
  })
  .superRefine((d, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, message });
    if (!busAllowsDevice(d.bus, d.device)) issue('A CD-ROM must be on the SATA or SCSI bus.');
    if (d.device === 'cdrom' && d.source.kind !== 'existing' && d.source.kind !== 'empty') {
      issue('A CD-ROM shows an existing volume (an ISO) or is empty.');
    }
    if (d.device === 'disk' && d.source.kind === 'empty') issue('Only a CD-ROM drive can be empty.');
    if (d.source.kind === 'linkedFrom' && d.format !== 'qcow2') issue('A linked clone is a qcow2 volume.');
  });
export type DiskInput = z.output<typeof diskInput>;

export const nicInput = z.object({
  network: libvirtNameSchema,
  model: nicModelSchema.default('virtio'),
  /** A security group (Networks page) enforced on this NIC with libvirt's nwfilter. */
  securityGroupId: z.string().min(1).max(64).optional(),
});

export const createVmInput = z
  .object({
    name: vmNameSchema,
    templateId: z.string().min(1, 'Choose a template.').max(64),
    /** A disk template's version; omitted: its latest. */
    templateVersionId: z.string().min(1).max(64).optional(),
    /** A disk template's disks as linked clones of its bases (qcow2 backing file) or full copies. */
    diskMode: z.enum(['linked', 'full']).default('linked'),
    vcpus: vcpusSchema,
    memoryMiB: memoryMiBSchema,
    /** Start the VM as soon as it is defined. */
    start: z.boolean().default(false),
    firmware: firmwareSchema.default('bios'),
    /** Disks after the template's own (which come first). */
    disks: z
      .array(diskInput)
      .max(MAX_VM_DISKS - 1, `A VM has at most ${MAX_VM_DISKS} disks, the template's included.`)
      .default([]),
    /** Network cards; Vireo chooses their MACs. */
    nics: z.array(nicInput).max(MAX_VM_NICS, `A VM has at most ${MAX_VM_NICS} network cards.`).default([]),
    /** A NoCloud seed the host builds into an ISO and attaches as a CD-ROM. */
    cloudInit: cloudInitSeedSchema.optional(),
    /** An affinity group the VM joins; placement follows its rule (admins only). */
    affinityGroupId: z.string().min(1).max(64).optional(),
    /** The project the VM belongs to and counts against (the caller needs 'create' on it). */
    projectId: z.string().min(1).max(64).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.firmware === 'uefi' && v.memoryMiB < UEFI_MIN_MEMORY_MIB) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['memoryMiB'],
        message: `UEFI (OVMF) needs at least ${UEFI_MIN_MEMORY_MIB} MiB of memory.`,
      });
    }
  });

/** What `vm.create` takes, as the service receives it (defaults applied). */
export type CreateVmInput = z.output<typeof createVmInput>;

/** The most rows one `vm.list` call returns: pages, never the whole inventory. */
export const VM_LIST_LIMIT_MAX = 500;

/**
 * `vm.list`: one page of the VMs the caller may see, filtered and sorted by the database.
 * Omitted: the first 100 by name. Unknown keys are refused, so a misspelt filter is an error
 * rather than silently ignored.
 */
export const listVmsInput = z
  .object({
    offset: z.number().int().min(0).max(1_000_000).default(0),
    /** 0 returns only the total. */
    limit: z.number().int().min(0).max(VM_LIST_LIMIT_MAX, `limit must be at most ${VM_LIST_LIMIT_MAX}.`).default(100),
    sort: z.enum(VM_SORT_KEYS).default('name'),
    dir: z.enum(['asc', 'desc']).default('asc'),
    /** A substring of the name, any case. */
    name: z.string().trim().max(VM_NAME_MAX).optional(),
    states: z.array(z.enum(VM_STATES)).min(1).max(VM_STATES.length).optional(),
    hostId: z.string().min(1).max(64).optional(),
    /** Admins only; other users always get their own VMs. */
    ownerId: z.string().min(1).max(64).optional(),
    /** In this project (issue 10). */
    projectId: z.string().min(1).max(64).optional(),
    /** Has this tag. */
    tag: tagNameSchema.optional(),
    /** Only VMs whose lease expires at or before this (issue 10). */
    leaseBefore: z.coerce.date().optional(),
  })
  .strict()
  .default({ offset: 0, limit: 100, sort: 'name', dir: 'asc' });

export type ListVmsInput = z.output<typeof listVmsInput>;
