// The migrations that hold or wait for a host's migration slots: every unfinished vm.migrate
// task, oldest first, with its source (the VM's recorded host: it moves only when the task
// succeeds, db vm-migrations.finish) and its target (the task's host). Read from the database
// on every check, so the limit holds across managers and admins.
import { getDb } from './client.ts';
import { UNFINISHED_TASK_STATES } from './enums.ts';
import { MIGRATE_TASK_KIND } from './vm-migrations.ts';

export interface MigrationSlotRow {
  taskId: string;
  createdAt: Date;
  sourceId: string | null;
  targetId: string | null;
}

/** Unfinished migrations, oldest first (ties by id): the order slots are handed out in. */
export async function queue(): Promise<MigrationSlotRow[]> {
  const rows = await getDb().task.findMany({
    where: { kind: MIGRATE_TASK_KIND, state: { in: [...UNFINISHED_TASK_STATES] } },
    select: { id: true, createdAt: true, hostId: true, vm: { select: { hostId: true } } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map((r) => ({
    taskId: r.id,
    createdAt: r.createdAt,
    sourceId: r.vm?.hostId ?? null,
    targetId: r.hostId,
  }));
}
