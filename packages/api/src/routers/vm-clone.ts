/**
 * Clone procedures of the `vm` router (spread into it: `vm.clone`, `vm.cancelClone`).
 * vm.clone returns `{ taskId, vmId }` at once; the copy runs as the task.
 */
import { snapshotNameSchema, vmNameSchema } from '@vireo/protocol';
import { z } from 'zod';
import { cancelClone, cloneVm } from '../services/vm-clone.ts';
import { linkedCloneVm } from '../services/vm-linked-clone.ts';
import { rule } from '../services/permissions/rules.ts';
import { authedProcedure, vmProcedure } from '../trpc.ts';

export const vmCloneProcedures = {
  /** A full clone of a stopped VM on its host: new name, uuid and MACs, copies of its disks. */
  // Copying a VM's disks is more than running it: 'edit' on the source (its owner, an operator),
  // so a project member does not copy a co-member's VM; the copy is charged to the project.
  clone: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ name: vmNameSchema }))
    .mutation(({ ctx, input }) => cloneVm(ctx.vm, input, ctx.user)),
  /**
   * A linked clone of a snapshot of a stopped VM: the snapshot's disks become (once) the template
   * `<vm>@<snapshot>` that such clones share; the clone is made from it. Returns the task.
   */
  cloneLinked: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ name: vmNameSchema, snapshot: snapshotNameSchema }))
    .mutation(({ ctx, input }) => linkedCloneVm(ctx.vm, input, ctx.user)),
  /** Asks a running clone to stop; what it made is removed and the task ends CANCELLED. */
  cancelClone: authedProcedure
    .meta(rule.self)
    .input(z.object({ taskId: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => cancelClone(input.taskId, ctx.user)),
};
