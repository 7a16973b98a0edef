/**
 * Firmware and boot order of a stopped VM. Disks are named by their place among the domain's
 * drives (Vireo's rows keep that order) with the path Vireo knows, so a definition changed behind
 * Vireo's back is refused rather than misread; NICs by their MAC.
 */
import { z } from 'zod';
import { uuidSchema } from '../names.ts';
import { macSchema } from './networks.ts';
import { MAX_VM_DISKS, MAX_VM_NICS, firmwareSchema } from './vm-hardware.ts';

export const bootDeviceRefSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('disk'),
    index: z.number().int().min(0).max(1000),
    /** The drive's volume path as Vireo recorded it; null for an empty CD-ROM drive. */
    path: z.string().max(4096).nullable(),
  }),
  z.object({ kind: z.literal('nic'), mac: macSchema }),
]);
export type BootDeviceRef = z.infer<typeof bootDeviceRefSchema>;

export const vmBootRequests = {
  /** Redefines a stopped domain with this firmware and per-device boot order (first boots first). */
  'vm.setBoot': {
    params: z.object({
      uuid: uuidSchema,
      firmware: firmwareSchema,
      order: z
        .array(bootDeviceRefSchema)
        .min(1)
        .max(MAX_VM_DISKS + MAX_VM_NICS),
    }),
    /** What the definition holds afterwards: disks by index, NICs by MAC. */
    result: z.object({
      firmware: firmwareSchema,
      order: z.array(
        z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('disk'), index: z.number().int().min(0) }),
          z.object({ kind: z.literal('nic'), mac: z.string().max(17) }),
        ]),
      ),
    }),
  },
} as const;
