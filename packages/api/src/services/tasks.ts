/**
 * Durable tasks: every long operation is a row (state, progress, owner) created before the work
 * starts and finished when it ends, so callers get a task id at once and progress is visible to
 * anyone. Rows a stopped manager left unfinished are failed by whoever takes over (cluster.ts), and
 * the VM state is then re-read from the agents' full state.
 */
import { type ObjectType, toErrorPayload, VireoError } from '@vireo/protocol';
import { tasks } from '@vireo/db';
import { selfId } from './cluster.ts';
import { publishTask } from './views.ts';

export interface TaskMeta {
  kind: string;
  vmId?: string | null;
  hostId?: string | null;
  ownerId: string;
}

export type ProgressFn = (progress: number, message?: string) => void;
/** Work run as a task; `taskId` lets it tag what it asks of agents (they journal by it). */
export type TaskWork = (progress: ProgressFn, taskId: string) => Promise<string | undefined>;

/** Creates the task row and runs `work` in the background; resolves with the task id at once. */
export async function startTask(
  meta: TaskMeta,
  work: TaskWork,
  /** Runs once the task has ended, however it ended. */
  onSettled: () => void = () => {},
): Promise<string> {
  const { task } = await tasks.create({
    ...meta,
    vmId: meta.vmId ?? null,
    hostId: meta.hostId ?? null,
    managerId: selfId(),
  });
  await publishTask(task.id);
  run(task.id, work)
    .catch((err) => console.error(`[task ${task.id}] could not record its end:`, err))
    .finally(onSettled);
  return task.id;
}

async function run(taskId: string, work: TaskWork): Promise<void> {
  let last = 0;
  const progress: ProgressFn = (value, message) => {
    last = Math.max(last, Math.min(99, Math.round(value)));
    tasks
      .progress(taskId, last, message ?? null)
      .then(() => publishTask(taskId))
      .catch((err) => console.error(`[task ${taskId}] could not record progress:`, err));
  };
  try {
    await tasks.markRunning(taskId);
    await publishTask(taskId);
    const message = await work(progress, taskId);
    await tasks.succeed(taskId, message ?? null);
  } catch (err) {
    // A LIBVIRT_ERROR's message already carries libvirt's own words: store it once.
    const payload = toErrorPayload(err);
    await tasks.fail(taskId, { code: payload.code, message: payload.message });
    if (payload.code === 'INTERNAL') console.error(`[task ${taskId}]`, err);
  }
  await publishTask(taskId);
}

/**
 * Waits for a task this manager started to end (polling its row, at most 10 minutes): for a
 * sweep that runs steps one after another. A failed task throws its message as INVALID_STATE.
 */
export async function waitTaskEnd(taskId: string, object: ObjectType): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const t = await tasks.byId(taskId);
    if (!t || t.state === 'succeeded') return;
    if (t.state === 'failed') throw new VireoError('INVALID_STATE', t.errorMessage ?? 'The task failed.', { object });
    await new Promise((r) => setTimeout(r, 500));
  }
}
