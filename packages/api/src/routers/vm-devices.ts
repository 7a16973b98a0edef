/**
 * NIC and CD-ROM procedures of the `vm` router (spread into it): `vm.addNic` / `vm.removeNic`
 * (live on a running VM, in the definition on a stopped one), `vm.addCdrom` (stopped VM) and
 * `vm.setCdromMedia` (insert an ISO image, or eject with `media: null`). All return `{ taskId }`.
 */
import { cdromBusSchema, libvirtNameSchema, nicModelSchema, volumeRefSchema } from '@vireo/protocol';
import { z } from 'zod';
import { addCdrom, addNic, removeNic, setCdromMedia } from '../services/vm-devices.ts';
import { rule } from '../services/permissions/rules.ts';
import { vmProcedure } from '../trpc.ts';

const position = z.number().int().min(0).max(1000);

export const vmDeviceProcedures = {
  addNic: vmProcedure
    .meta(rule.vm('edit'))
    .input(
      z.object({
        network: libvirtNameSchema,
        model: nicModelSchema.default('virtio'),
        securityGroupId: z.string().min(1).max(64).optional(),
      }),
    )
    .mutation(({ ctx, input }) => addNic(ctx.vm, ctx.user, input)),
  removeNic: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ position }))
    .mutation(({ ctx, input }) => removeNic(ctx.vm, ctx.user, input.position)),
  addCdrom: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ bus: cdromBusSchema.default('scsi'), media: volumeRefSchema.optional() }))
    .mutation(({ ctx, input }) => addCdrom(ctx.vm, ctx.user, input)),
  setCdromMedia: vmProcedure
    .meta(rule.vm('operate'))
    .input(z.object({ position, media: volumeRefSchema.nullable() }))
    .mutation(({ ctx, input }) => setCdromMedia(ctx.vm, ctx.user, input.position, input.media)),
};
