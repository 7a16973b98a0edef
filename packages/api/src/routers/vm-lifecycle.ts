/**
 * Lifecycle verbs of the `vm` router (spread into it, so they are `vm.reboot`, `vm.pause`, …).
 * Long operations return `{ taskId }`.
 */
import { z } from 'zod';
import { MAX_AUTOSTART_DELAY_S, autostartSettings, setAutostart } from '../services/vm-autostart.ts';
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
  /** Whether the VM starts with its host, in what order and with what delay after it. */
  autostart: vmProcedure.query(({ ctx }) => autostartSettings(ctx.vm)),
  setAutostart: vmProcedure
    .input(
      z.object({
        autostart: z.boolean(),
        order: z.number().int().min(0).max(1000),
        delayS: z.number().int().min(0).max(MAX_AUTOSTART_DELAY_S),
      }),
    )
    .mutation(({ ctx, input }) =>
      setAutostart(ctx.vm, { autostart: input.autostart, order: input.order, delayS: input.delayS }),
    ),
};
