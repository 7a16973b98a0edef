import { tracked } from '@trpc/server';
import { changes } from '../services/bus.ts';
import { authedProcedure, router } from '../trpc.ts';
import type { LiveChange } from '../views.ts';

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
