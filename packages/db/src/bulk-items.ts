// The per-VM lines of a bulk job (a task of kind "vm.bulk"): the dry run's plan, then outcomes.
import { getDb } from './client.ts';

export type BulkOutcome = 'run' | 'skip' | 'running' | 'succeeded' | 'failed' | 'skipped';

export type BulkItemInput = { position: number; vmId: string; vmName: string; outcome: BulkOutcome; message: string };

export type BulkItemRecord = BulkItemInput & { id: string; taskId: string; childTaskId: string | null };

const select = {
  id: true,
  taskId: true,
  position: true,
  vmId: true,
  vmName: true,
  outcome: true,
  message: true,
  childTaskId: true,
} as const;

export async function createMany(taskId: string, items: readonly BulkItemInput[]): Promise<void> {
  for (let i = 0; i < items.length; i += 500) {
    await getDb().bulkItem.createMany({ data: items.slice(i, i + 500).map((item) => ({ ...item, taskId })) });
  }
}

export async function listFor(taskId: string): Promise<BulkItemRecord[]> {
  const rows = await getDb().bulkItem.findMany({ where: { taskId }, select, orderBy: { position: 'asc' } });
  return rows.map((r) => ({ ...r, outcome: r.outcome as BulkOutcome }));
}

export async function update(
  id: string,
  data: { outcome: BulkOutcome; message: string; childTaskId?: string | null },
): Promise<void> {
  await getDb().bulkItem.update({ where: { id }, data, select: { id: true } });
}
