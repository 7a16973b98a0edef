/**
 * The cluster's "parallel migrations per host": a migration starts only when both its source and
 * its target have a free slot; otherwise it waits (as oVirt does), its task saying for which host.
 *
 * Slots are not counted in memory: every check reads the unfinished vm.migrate tasks from the
 * database (db migration-slots), oldest first, and a migration may go when fewer than `limit`
 * older ones use each of its hosts. The order is the same for every manager, so two managers
 * never both take the last slot, and the oldest migration always goes (no deadlock). An older
 * migration that itself waits still counts: a slot is never jumped, at the price of a slot
 * sometimes standing idle for a moment.
 */
import { migrationSlots, type MigrationSlotRow, tasks } from '@vireo/db';
import { VireoError } from '@vireo/protocol';

/** How often a waiting migration looks again. */
const RECHECK_MS = 1000;

/**
 * The host (source first, then target) whose slots older migrations fill, or null when this
 * migration may start. A task not in the queue (already finished) waits for nothing.
 */
export function busyHost(queue: readonly MigrationSlotRow[], taskId: string, limit: number): string | null {
  const at = queue.findIndex((m) => m.taskId === taskId);
  if (at < 0) return null;
  const self = queue[at] as MigrationSlotRow;
  const older = queue.slice(0, at);
  for (const host of [self.sourceId, self.targetId]) {
    if (!host) continue;
    const using = older.filter((m) => m.sourceId === host || m.targetId === host).length;
    if (using >= Math.max(1, limit)) return host;
  }
  return null;
}

/**
 * Waits until this migration has a slot on both its hosts. `onWait` gets the busy host each time
 * it changes; a cancel asked meanwhile ends the wait with CANCELLED.
 */
export async function waitForSlot(
  taskId: string,
  limit: number,
  onWait: (hostId: string) => void,
  cancelled: string,
): Promise<void> {
  let last: string | null = null;
  for (;;) {
    const busy = busyHost(await migrationSlots.queue(), taskId, limit);
    if (!busy) return;
    if (await tasks.cancelRequested(taskId)) throw new VireoError('CANCELLED', cancelled, { object: 'vm' });
    if (busy !== last) onWait(busy);
    last = busy;
    await new Promise((r) => setTimeout(r, RECHECK_MS));
  }
}
