import { tracked } from '@trpc/server';
import { z } from 'zod';
import { changes, statsSamples } from '../services/bus.ts';
import { visibleVmIds } from '../services/vm-access.ts';
import { authedProcedure, router } from '../trpc.ts';
import type { LiveChange, StatsBatch } from '../views.ts';

const onStatsInput = z.object({ vmIds: z.array(z.string().min(1).max(64)).max(500) });

/** Whether a change is visible to this user (admins see all; users their own VMs and tasks). */
function visible(change: LiveChange, user: { id: string; role: string }, ownerOf: (c: LiveChange) => string | null) {
  if (user.role === 'admin') return true;
  if (change.kind === 'host' || change.kind === 'event') return false;
  return ownerOf(change) === user.id;
}

let seq = 0;

export const liveRouter = router({
  /** Every inventory change, pushed over SSE as it happens. */
  onChange: authedProcedure.subscription(async function* ({ ctx, signal }) {
    for await (const change of changes(signal)) {
      if (!visible(change, ctx.user, ownerOfChange)) continue;
      seq += 1;
      yield tracked(String(seq), change);
    }
  }),
  /**
   * CPU % of the given VMs (the ones on screen), one batch per stats sample that touches any of
   * them. Access is checked once, here: ids the user may not see are silently dropped.
   */
  onStats: authedProcedure.input(onStatsInput).subscription(async function* ({ ctx, input, signal }) {
    const wanted = await visibleVmIds(input.vmIds, ctx.user);
    if (wanted.size === 0) return;
    for await (const sample of statsSamples(signal)) {
      const cpu = sample.cpu.filter((c) => wanted.has(c.vmId));
      if (cpu.length > 0) yield { at: sample.at, cpu } satisfies StatsBatch;
    }
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
