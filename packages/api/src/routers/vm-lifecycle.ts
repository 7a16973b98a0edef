/**
 * Lifecycle verbs of the `vm` router (spread into it, so they are `vm.reboot`, `vm.pause`, …).
 * Long operations return `{ taskId }`.
 */
import { z } from 'zod';
import { MAX_AUTOSTART_DELAY_S, autostartSettings, setAutostart } from '../services/vm-autostart.ts';
import { deletePlan, runLifecycleVerb, saveVm } from '../services/vm-lifecycle.ts';
import { hostNameShown } from '../services/permissions/visibility.ts';
import { rule } from '../services/permissions/rules.ts';
import { vmProcedure } from '../trpc.ts';

export const vmLifecycleProcedures = {
  reboot: vmProcedure.meta(rule.vm('operate')).mutation(({ ctx }) => runLifecycleVerb('reboot', ctx.vm, ctx.user)),
  reset: vmProcedure.meta(rule.vm('operate')).mutation(({ ctx }) => runLifecycleVerb('reset', ctx.vm, ctx.user)),
  pause: vmProcedure.meta(rule.vm('operate')).mutation(({ ctx }) => runLifecycleVerb('pause', ctx.vm, ctx.user)),
  resume: vmProcedure.meta(rule.vm('operate')).mutation(({ ctx }) => runLifecycleVerb('resume', ctx.vm, ctx.user)),
  startPaused: vmProcedure
    .meta(rule.vm('operate'))
    .mutation(({ ctx }) => runLifecycleVerb('startPaused', ctx.vm, ctx.user)),
  /** Suspend to disk (libvirt managed save); `start` restores it. */
  save: vmProcedure.meta(rule.vm('operate')).mutation(({ ctx }) => saveVm(ctx.vm, ctx.user)),
  /** What a delete removes and keeps, for its confirmation. */
  deletePlan: vmProcedure
    .meta(rule.vm('view'))
    .query(async ({ ctx }) => deletePlan(ctx.vm, (await hostNameShown(ctx.user))(ctx.vm.hostId))),
  /** Whether the VM starts with its host, in what order and with what delay after it. */
  autostart: vmProcedure.meta(rule.vm('view')).query(({ ctx }) => autostartSettings(ctx.vm)),
  setAutostart: vmProcedure
    .meta(rule.vm('edit'))
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
