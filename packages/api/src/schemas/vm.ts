import { memoryMiBSchema, vcpusSchema, vmNameSchema } from '@vireo/protocol';
import { z } from 'zod';

export const createVmInput = z.object({
  name: vmNameSchema,
  templateId: z.string().min(1, 'Choose a template.').max(64),
  vcpus: vcpusSchema,
  memoryMiB: memoryMiBSchema,
  /** Start the VM as soon as it is defined. */
  start: z.boolean().default(false),
});

/** What `vm.create` takes, as the service receives it (defaults applied). */
export type CreateVmInput = z.output<typeof createVmInput>;
