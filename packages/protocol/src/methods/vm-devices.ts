/**
 * NICs and CD-ROM drives of a VM: a NIC added or removed (live and in the definition on a
 * running VM, in the definition on a stopped one), a CD-ROM drive added to a stopped VM, and its
 * medium (an ISO volume of a pool on the host) inserted or ejected, live where the VM runs.
 */
import { z } from 'zod';
import { uuidSchema } from '../names.ts';
import { macSchema } from './networks.ts';
import { vmNicSchema, volumeRefSchema } from './vm-hardware.ts';

/** CD-ROM buses: SCSI (virtio-scsi) works on every machine type; SATA needs AHCI in the guest. */
export const cdromBusSchema = z.enum(['sata', 'scsi']);
export type CdromBus = z.infer<typeof cdromBusSchema>;

const path = z
  .string()
  .max(4096)
  .regex(/^\/[^\0]*$/, 'must be an absolute path');

export const vmDeviceRequests = {
  /** Adds the NIC (its MAC chosen by the manager); a re-sent request finds its MAC there. */
  'vm.attachNic': {
    params: z.object({ uuid: uuidSchema, nic: vmNicSchema }),
    result: z.object({ live: z.boolean() }),
  },
  /** Removes the NIC with this MAC; on a running VM once the guest released it. */
  'vm.detachNic': {
    params: z.object({ uuid: uuidSchema, mac: macSchema }),
    result: z.object({ detached: z.boolean(), live: z.boolean() }),
  },
  /** Adds a CD-ROM drive to a stopped VM, empty or with `media`. */
  'vm.addCdrom': {
    params: z.object({ uuid: uuidSchema, bus: cdromBusSchema, media: volumeRefSchema.optional() }),
    result: z.object({ target: z.string().max(32), path: path.nullable() }),
  },
  /**
   * Inserts `media` into the VM's `index`-th CD-ROM drive (in target order, Vireo's cloud-init
   * seed drive not counted), or ejects it (null).
   */
  'vm.setCdromMedia': {
    params: z.object({ uuid: uuidSchema, index: z.number().int().min(0).max(64), media: volumeRefSchema.nullable() }),
    result: z.object({ target: z.string().max(32), path: path.nullable(), live: z.boolean() }),
  },
} as const;
