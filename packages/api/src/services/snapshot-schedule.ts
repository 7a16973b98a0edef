/**
 * Scheduled snapshots per VM with retention. Every manager runs the same tick; a due run is
 * claimed by a compare-and-set on the schedule row (db snapshots.claimRun: nextRunAt moves on only
 * if it still holds the value this manager read), so with several managers each run happens once.
 * The snapshot and the pruning then run as ordinary tasks (visible in the VM's task list).
 */
import { VireoError, toErrorPayload } from '@vireo/protocol';
import { type ScheduleRow, type SnapshotRow, events, snapshots, vms } from '@vireo/db';
import { managerEnv } from '../env.ts';
import { createSnapshot, deleteSnapshot } from './snapshots.ts';
import type { VmRecord } from './vm-access.ts';
import { waitTaskEnd } from './tasks.ts';

let timer: NodeJS.Timeout | undefined;

export interface Retention {
  keepLast: number | null;
  keepDays: number | null;
}

/**
 * Which scheduled snapshots retention removes: beyond the newest `keepLast`, or older than
 * `keepDays` (both when both are set). Snapshots taken by hand are never pruned, nor the current
 * one (the VM's disks descend from it).
 */
export function prunable(
  list: readonly Pick<SnapshotRow, 'name' | 'scheduled' | 'current' | 'createdAt'>[],
  r: Retention,
  now: number,
): string[] {
  // libvirt's creation times have whole seconds: two runs in one second are told apart by
  // their names, which carry milliseconds (scheduledName).
  const scheduled = list
    .filter((s) => s.scheduled)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  const out: string[] = [];
  scheduled.forEach((s, i) => {
    const tooMany = r.keepLast !== null && i >= r.keepLast;
    const tooOld = r.keepDays !== null && now - s.createdAt.getTime() > r.keepDays * 86_400_000;
    if ((tooMany || tooOld) && !s.current) out.push(s.name);
  });
  return out;
}

/**
 * The name of a scheduled snapshot taken at `at`: sortable, and down to the millisecond, since a
 * "Run now" can follow a ticked run within the same second.
 */
export function scheduledName(at: Date): string {
  const iso = at.toISOString(); // 2026-12-01T12:00:00.000Z
  return `auto-${iso.slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${iso.slice(20, 23)}`;
}

export function startSnapshotScheduler(): void {
  if (timer) return;
  timer = setInterval(() => {
    tick(new Date()).catch((err) => console.error('[snapshot schedule] tick failed:', err));
  }, managerEnv().VIREO_SNAPSHOT_TICK_S * 1000);
  timer.unref();
}

export async function tick(now: Date): Promise<number> {
  let ran = 0;
  for (const s of await snapshots.dueSchedules(now)) {
    const next = new Date(now.getTime() + s.intervalMinutes * 60_000);
    if (!(await snapshots.claimRun(s.vmId, s.nextRunAt, now, next))) continue; // another manager has it
    ran++;
    try {
      const run = await startRun(s, now, null);
      if (run) await run.done;
    } catch (err) {
      await recordFailure(s.vmId, err);
    }
  }
  return ran;
}

/**
 * "Run now": one run of the VM's schedule at once (snapshot, then retention), claimed like a
 * ticked one so a tick at the same moment does not run it twice; the next run is one interval on.
 * Returns the snapshot's task; retention goes on after it, as tasks of its own.
 */
export async function runScheduleNow(vm: VmRecord, userId: string): Promise<{ taskId: string }> {
  const s = await snapshots.scheduleOf(vm.id);
  if (!s) throw new VireoError('NOT_FOUND', `VM ${vm.name} has no snapshot schedule.`, { object: 'snapshot' });
  if (!s.enabled) {
    throw new VireoError('INVALID_STATE', `VM ${vm.name}'s snapshot schedule is turned off; turn it on to run it.`, {
      object: 'snapshot',
    });
  }
  const now = new Date();
  if (!(await snapshots.claimRun(s.vmId, s.nextRunAt, now, new Date(now.getTime() + s.intervalMinutes * 60_000)))) {
    throw new VireoError('BUSY', `A scheduled run of VM ${vm.name} is starting right now; try again in a moment.`, {
      object: 'snapshot',
    });
  }
  const run = await startRun(s, now, userId);
  if (!run) throw new VireoError('NOT_FOUND', `VM ${vm.name} no longer exists.`, { object: 'vm' });
  run.done.catch((err) => recordFailure(s.vmId, err));
  return { taskId: run.taskId };
}

async function recordFailure(vmId: string, err: unknown): Promise<void> {
  await events.add({
    severity: 'warning',
    kind: 'vm.snapshotScheduleFailed',
    message: `A scheduled snapshot could not be taken: ${toErrorPayload(err).message}`,
    vmId,
  });
}

/**
 * Starts one run: the snapshot task now; `done` settles once it and the retention it allows
 * (deleting scheduled snapshots beyond keepLast / keepDays) have run. `userId` null: the VM's owner.
 */
async function startRun(
  s: ScheduleRow,
  now: Date,
  userId: string | null,
): Promise<{ taskId: string; done: Promise<void> } | null> {
  const vm = await vms.byId(s.vmId);
  if (!vm) return null;
  const record = vm as VmRecord;
  const by = userId ?? vm.ownerId;
  // Memory snapshots need a running VM, disk-only ones a shut-off one: a memory schedule takes
  // a disk-only snapshot of a shut-off VM; a disk-only schedule skips a running VM.
  const withMemory = s.withMemory && (vm.state === 'running' || vm.state === 'paused');
  if (!withMemory && vm.state !== 'shutoff') {
    throw new VireoError(
      'INVALID_STATE',
      `VM ${vm.name} is ${vm.state}: its disk-only snapshot schedule takes snapshots only while it is shut off.`,
      { object: 'snapshot' },
    );
  }
  const name = scheduledName(now);
  const { taskId } = await createSnapshot(record, { name, withMemory, description: 'Scheduled' }, by, {
    scheduled: true,
  });
  const done = (async () => {
    await waitTaskEnd(taskId, 'snapshot');
    for (const old of prunable(await snapshots.listForVm(vm.id), s, now.getTime())) {
      const del = await deleteSnapshot(record, old, by);
      await waitTaskEnd(del.taskId, 'snapshot');
    }
  })();
  return { taskId, done };
}
