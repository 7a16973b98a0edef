/** `vm.editBoot` (spread into the `vm` router): firmware and boot order of a stopped VM. */
import { MAX_VM_DISKS, MAX_VM_NICS, firmwareSchema } from '@vireo/protocol';
import { z } from 'zod';
import { editBoot } from '../services/vm-boot.ts';
import { rule } from '../services/permissions/rules.ts';
import { vmProcedure } from '../trpc.ts';

export const vmBootProcedures = {
  /** Returns `{ taskId }`; refused while the VM runs. */
  editBoot: vmProcedure
    .meta(rule.vm('edit'))
    .input(
      z.object({
        firmware: firmwareSchema,
        order: z
          .array(z.object({ kind: z.enum(['disk', 'nic']), position: z.number().int().min(0).max(1000) }))
          .min(1, 'Choose at least one device to boot from.')
          .max(MAX_VM_DISKS + MAX_VM_NICS),
      }),
    )
    .mutation(({ ctx, input }) => editBoot(ctx.vm, ctx.user, input)),
};
