/**
 * Lifecycle verbs of the `vm` router (spread into it, so they are `vm.reboot`, `vm.pause`, …).
 * Long operations return `{ taskId }`.
 */
import { deletePlan, runLifecycleVerb, saveVm } from '../services/vm-lifecycle.ts';
import { vmProcedure } from '../trpc.ts';

export const vmLifecycleProcedures = {
  reboot: vmProcedure.mutation(({ ctx }) => runLifecycleVerb('reboot', ctx.vm, ctx.user)),
  reset: vmProcedure.mutation(({ ctx }) => runLifecycleVerb('reset', ctx.vm, ctx.user)),
  pause: vmProcedure.mutation(({ ctx }) => runLifecycleVerb('pause', ctx.vm, ctx.user)),
  resume: vmProcedure.mutation(({ ctx }) => runLifecycleVerb('resume', ctx.vm, ctx.user)),
  startPaused: vmProcedure.mutation(({ ctx }) => runLifecycleVerb('startPaused', ctx.vm, ctx.user)),
  /** Suspend to disk (libvirt managed save); `start` restores it. */
  save: vmProcedure.mutation(({ ctx }) => saveVm(ctx.vm, ctx.user)),
  /** What a delete removes and keeps, for its confirmation. */
  deletePlan: vmProcedure.query(({ ctx }) => deletePlan(ctx.vm)),
};
