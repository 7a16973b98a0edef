/**
 * Editing procedures of the `vm` router (spread into it): `vm.addDisk` and `vm.removeDisk`
 * hot-plug disks on a running VM. Both return `{ taskId }`.
 */
import {
  DISK_BYTES_MAX,
  DISK_BYTES_MIN,
  diskFormatSchema,
  hotplugBusSchema,
  libvirtNameSchema,
  vmConfigSchema,
} from '@vireo/protocol';
import { z } from 'zod';
import { describeVm, editLimits, editVm, pendingChanges } from '../services/vm-config.ts';
import { addDisk, removeDisk } from '../services/vm-disks.ts';
import { rule } from '../services/permissions/rules.ts';
import { vmProcedure } from '../trpc.ts';

export const vmEditProcedures = {
  /**
   * Name, vCPUs and memory, each with its maximum; a running VM takes vCPUs and memory at once
   * within the maximums it started with, the rest waits for its next start.
   */
  edit: vmProcedure
    .meta(rule.vm('edit'))
    .input(vmConfigSchema)
    .mutation(({ ctx, input }) => editVm(ctx.vm, ctx.user, input)),
  /** The VM's free-text description. */
  description: vmProcedure.meta(rule.vm('view')).query(({ ctx }) => describeVm(ctx.vm)),
  /** The figures the Edit dialog starts from, and a running VM's live maximums. */
  editLimits: vmProcedure.meta(rule.vm('view')).query(({ ctx }) => editLimits(ctx.vm)),
  /** Changes made to a running VM that apply at its next start. */
  pendingChanges: vmProcedure.meta(rule.vm('view')).query(({ ctx }) => pendingChanges(ctx.vm)),
  addDisk: vmProcedure
    .meta(rule.vm('edit'))
    .input(
      z.object({
        sizeBytes: z.number().int().min(DISK_BYTES_MIN).max(DISK_BYTES_MAX),
        bus: hotplugBusSchema.default('virtio'),
        format: diskFormatSchema.default('qcow2'),
        pool: libvirtNameSchema.default('default'),
      }),
    )
    .mutation(({ ctx, input }) => addDisk(ctx.vm, ctx.user, input)),
  removeDisk: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ position: z.number().int().min(0).max(1000) }))
    .mutation(({ ctx, input }) => removeDisk(ctx.vm, ctx.user, input.position)),
};
