/**
 * Editing a VM's hardware: hot-plug of blank disks into a running VM. The disk's volume is made
 * in a storage pool of the VM's host and attached live and to the definition at once.
 */
import { z } from 'zod';
import { memoryMiBSchema, uuidSchema, vcpusSchema, vmNameSchema } from '../names.ts';
import { domainInfoSchema, domainStateSchema } from '../messages.ts';
import { DISK_BYTES_MAX, DISK_BYTES_MIN, diskFormatSchema, volumeRefSchema } from './vm-hardware.ts';

/** Buses a disk can be hot-plugged on: SATA (AHCI) has no hot-plug in QEMU. */
export const hotplugBusSchema = z.enum(['virtio', 'scsi']);
export type HotplugBus = z.infer<typeof hotplugBusSchema>;

const diskPath = z
  .string()
  .max(4096)
  .regex(/^\/[^\0]*$/, 'must be an absolute path');

/** A VM's free-text description: also the domain XML's `<description>`. */
export const vmDescriptionSchema = z.string().max(1000, 'The description has at most 1000 characters.');

/** A stopped VM's figures: the maximums bound what hot-plug and ballooning may reach later. */
export const vmConfigSchema = z
  .object({
    name: vmNameSchema,
    vcpus: vcpusSchema,
    maxVcpus: vcpusSchema,
    memoryMiB: memoryMiBSchema,
    maxMemoryMiB: memoryMiBSchema,
    /** Free text; left out, the description stays as it is. */
    description: vmDescriptionSchema.optional(),
  })
  .refine((c) => c.vcpus <= c.maxVcpus, { message: 'vCPUs cannot exceed the maximum vCPUs.', path: ['vcpus'] })
  .refine((c) => c.memoryMiB <= c.maxMemoryMiB, {
    message: 'Memory cannot exceed the maximum memory.',
    path: ['memoryMiB'],
  });
export type VmConfig = z.infer<typeof vmConfigSchema>;

const domainLimitsSchema = z.object({
  vcpus: z.number().int(),
  maxVcpus: z.number().int(),
  memoryMiB: z.number().int(),
  maxMemoryMiB: z.number().int(),
});

export const vmEditRequests = {
  /**
   * Sets a VM's vCPUs, memory (each with its maximum) and name in its definition; a running VM
   * also takes vCPUs and memory at once when they fit its boot-time maximums.
   */
  'vm.editConfig': {
    params: z.intersection(z.object({ uuid: uuidSchema }), vmConfigSchema),
    result: z.object({
      domain: z.lazy(() => domainInfoSchema),
      maxVcpus: z.number().int(),
      maxMemoryMiB: z.number().int(),
      /** The VM runs and part of the change (a maximum, or more than it) waits for its next start. */
      pending: z.boolean(),
      /** What the running VM took at once: vCPU hot-plug, memory through its balloon. */
      live: z.array(z.enum(['vcpus', 'memory'])),
    }),
  },
  /** The running domain's figures and its definition's (what the next start uses). */
  'vm.pendingConfig': {
    params: z.object({ uuid: uuidSchema }),
    result: z.object({ state: z.lazy(() => domainStateSchema), live: domainLimitsSchema, next: domainLimitsSchema }),
  },
  /** Makes a blank volume and attaches it to the running VM; a failed attach deletes the volume. */
  'vm.attachDisk': {
    params: z.object({
      uuid: uuidSchema,
      volume: volumeRefSchema,
      sizeBytes: z.number().int().min(DISK_BYTES_MIN).max(DISK_BYTES_MAX),
      bus: hotplugBusSchema,
      format: diskFormatSchema,
    }),
    result: z.object({ target: z.string().max(32), path: diskPath, sizeBytes: z.number().int().nonnegative() }),
  },
  /** Detaches the disk with this source path; deletes `deleteVolume` once the guest released it. */
  'vm.detachDisk': {
    params: z.object({ uuid: uuidSchema, path: diskPath, deleteVolume: volumeRefSchema.optional() }),
    result: z.object({ detached: z.boolean(), volumeDeleted: z.boolean() }),
  },
} as const;
