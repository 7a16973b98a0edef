import { events } from '@vireo/db';
import { z } from 'zod';
import { recordEvent, toEventView } from '../services/views.ts';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, router, vmProcedure } from '../trpc.ts';

export const eventRouter = router({
  list: adminProcedure.query(async () => (await events.listRecent({ limit: 100 })).map(toEventView)),
  /**
   * One VM's events, newest first (its page's "Tasks & events" tab): its owner and admins. The
   * owner already sees the VM's host on its page, so host names in messages tell nothing new.
   */
  listForVm: vmProcedure
    .meta(rule.vm('view'))
    .query(async ({ ctx }) => (await events.listRecent({ vmId: ctx.vm.id, limit: 100 })).map(toEventView)),
  /** One host's events, newest first (its page): admins. */
  listForHost: adminProcedure
    .meta(rule.on('view', 'host', 'hostId'))
    .input(z.object({ hostId: z.string().min(1).max(64) }))
    .query(async ({ input }) => (await events.listRecent({ hostId: input.hostId, limit: 100 })).map(toEventView)),
  /**
   * Records that the user sent Ctrl+Alt+Del through the console (the keys travel over the
   * console's VNC stream, which the manager only relays): a reboot-like act belongs in the log.
   * The console sends the keys only once this is recorded.
   */
  recordCtrlAltDel: vmProcedure.meta(rule.vm('operate')).mutation(async ({ ctx }) => {
    const event = await recordEvent({
      severity: 'info',
      kind: 'vm.ctrlAltDel',
      message: `Ctrl+Alt+Del sent to VM ${ctx.vm.name} by ${ctx.user.username}.`,
      vmId: ctx.vm.id,
      hostId: ctx.vm.hostId,
      userId: ctx.user.id,
    });
    return { eventId: event.id };
  }),
});
