import { events, hosts } from '@vireo/db';
import { z } from 'zod';
import { recordEvent, toEventView } from '../services/views.ts';
import { rule } from '../services/permissions/rules.ts';
import { hostNameShown } from '../services/permissions/visibility.ts';
import { adminProcedure, router, vmProcedure } from '../trpc.ts';

export const eventRouter = router({
  list: adminProcedure.query(async () => (await events.listRecent({ limit: 100 })).map(toEventView)),
  /**
   * One VM's events, newest first (its page's "Tasks & events" tab). Messages name hosts ("created
   * on h1", migrations): those the viewer may not view read "a host", as its VM page hides them.
   */
  listForVm: vmProcedure.meta(rule.vm('view')).query(async ({ ctx }) => {
    const rows = (await events.listRecent({ vmId: ctx.vm.id, limit: 100 })).map(toEventView);
    const shows = await hostNameShown(ctx.user);
    const hidden = (await hosts.list()).filter((h) => !shows(h.id)).map((h) => h.name);
    return hidden.length === 0 ? rows : rows.map((e) => ({ ...e, message: withoutHostNames(e.message, hidden) }));
  }),
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

/** `message` with each of `names` (whole words: h1 is not in h10) replaced by "a host". */
export function withoutHostNames(message: string, names: readonly string[]): string {
  let out = message;
  for (const name of [...names].sort((a, b) => b.length - a.length)) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![\\w.-])${escaped}(?![\\w-]|\\.\\w)`, 'g'), 'a host');
  }
  return out;
}
