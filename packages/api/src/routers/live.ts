import { tracked } from '@trpc/server';
import { z } from 'zod';
import { changesAndStats } from '../services/bus.ts';
import { trackSessionConnection } from '../services/console-tickets.ts';
import { attachStream, MAX_WATCHED_VMS, setWatchedVms } from '../services/live-streams.ts';
import { taskForViewer } from '../services/visibility.ts';
import { hostNameShown, type VmFacts, vmMatcher } from '../services/permissions/visibility.ts';
import { vmForViewer } from '../services/views.ts';
import { visibleVmIds } from '../services/vm-access.ts';
import { rule } from '../services/permissions/rules.ts';
import { router, sessionProcedure } from '../trpc.ts';
import type { LiveChange, LiveItem, LiveMessage, StatsBatch } from '../views.ts';

const streamId = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'A stream id is 16 to 64 letters, digits, "-" or "_".');
const onChangeInput = z.object({ streamId: streamId.optional() }).optional();
const watchStatsInput = z.object({
  streamId,
  vmIds: z.array(z.string().min(1).max(64)).max(MAX_WATCHED_VMS),
});

/**
 * Whether a change is visible to this user: admins all; others the VMs they may see
 * (vmMatcher), their own tasks, and removals of VMs this stream showed them.
 */
function visibility(user: { id: string; role: string }, sees: () => (vm: VmFacts) => boolean) {
  const shown = new Set<string>();
  return (change: LiveChange): boolean => {
    if (user.role === 'admin') return true;
    if (change.kind === 'vm') {
      if (!sees()(change.vm)) return false;
      shown.add(change.vm.id);
      return true;
    }
    if (change.kind === 'vmRemoved' && shown.delete(change.vmId)) return true;
    if (change.kind === 'host' || change.kind === 'event') return false;
    return ownerOfChange(change) === user.id;
  };
}

/**
 * Task errors can name hosts: a non-admin gets the message for the code only; a VM's host name
 * goes only to who may view that host.
 */
function forViewer(change: LiveChange, role: string, showsHost: (hostId: string | null) => boolean): LiveChange {
  if (change.kind === 'task') return { ...change, task: taskForViewer(change.task, role) };
  if (change.kind === 'vm') return { ...change, vm: vmForViewer(change.vm, showsHost) };
  return change;
}

let seq = 0;

/** How old a stream's answer to "which VMs may this user see" may get (roles change under it). */
const MATCHER_MAX_AGE_MS = 3_000;

export const liveRouter = router({
  /**
   * The one live stream of a browser tab, over SSE: every inventory change as it happens and,
   * when the tab names its `streamId`, the CPU % of the VMs it watches (`watchStats`). One
   * connection per tab, not one per stream: browsers allow six per origin (see live-streams.ts).
   */
  onChange: sessionProcedure
    .meta(rule.list('vm'))
    .input(onChangeInput)
    .subscription(async function* ({ ctx, input, signal }) {
      const stream = input?.streamId ? attachStream(input.streamId, ctx.user.id) : null;
      // The stream ends with its session (logout, revoked, user disabled): the browser's reconnect
      // is then refused, instead of a revoked user watching changes with the role they had.
      const ended = new AbortController();
      const untrack = trackSessionConnection(ctx.session.id, () => ended.abort());
      // What the user may see is read again every few seconds: a role granted or removed while
      // the tab is open shows (or stops showing) without a reconnect.
      let sees = await vmMatcher(ctx.user);
      let showsHost = await hostNameShown(ctx.user);
      let seesAt = Date.now();
      const visible = visibility(ctx.user, () => sees);
      try {
        const stop = signal ? AbortSignal.any([signal, ended.signal]) : ended.signal;
        for await (const messages of changesAndStats(stop)) {
          if (ctx.user.role !== 'admin' && Date.now() - seesAt > MATCHER_MAX_AGE_MS) {
            sees = await vmMatcher(ctx.user);
            showsHost = await hostNameShown(ctx.user);
            seesAt = Date.now();
          }
          const items: LiveItem[] = [];
          for (const message of messages) {
            if (message.type === 'change') {
              if (visible(message.change)) items.push(forViewer(message.change, ctx.user.role, showsHost));
            } else if (stream) {
              const wanted = stream.vmIds();
              const cpu = message.sample.cpu.filter((c) => wanted.has(c.vmId));
              if (cpu.length > 0)
                items.push({ kind: 'stats', stats: { at: message.sample.at, cpu } satisfies StatsBatch });
            }
          }
          if (items.length === 0) continue;
          const out: LiveMessage = items.length === 1 ? (items[0] as LiveItem) : { kind: 'batch', items };
          seq += 1;
          yield tracked(String(seq), out);
        }
      } finally {
        untrack();
        stream?.detach();
      }
    }),
  /**
   * Sets which VMs' CPU % the tab's stream carries (the rows on screen). Access is checked here:
   * ids the user may not see are silently dropped.
   */
  watchStats: sessionProcedure
    .meta(rule.list('vm'))
    .input(watchStatsInput)
    .mutation(async ({ ctx, input }) => {
      const wanted = await visibleVmIds(input.vmIds, ctx.user);
      setWatchedVms(input.streamId, ctx.user.id, wanted);
      return { watching: wanted.size };
    }),
});

function ownerOfChange(change: LiveChange): string | null {
  switch (change.kind) {
    case 'vm':
      return change.vm.ownerId;
    case 'task':
      return change.task.ownerId;
    case 'vmRemoved':
      return change.ownerId;
    default:
      return null;
  }
}
