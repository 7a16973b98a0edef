'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTRPC } from '@/trpc/client';
import { ProgressBar } from '../ui/bars';
import { btn } from '../ui/buttons';
import { CloseIcon } from '../ui/icons';

export interface TrackedTask {
  taskId: string;
  label: string;
}
export type TrackTask = (taskId: string, label: string) => void;

const UNFINISHED = new Set(['queued', 'running']);

/** Volume operations started from this page, with their progress and, if they failed, why. */
export function StorageTasks({ tasks, onDismiss }: { tasks: TrackedTask[]; onDismiss: (taskId: string) => void }) {
  if (tasks.length === 0) return null;
  return (
    <ul className="space-y-1.5" aria-label="Storage operations">
      {tasks.map((t) => (
        <TaskLine key={t.taskId} task={t} onDismiss={() => onDismiss(t.taskId)} />
      ))}
    </ul>
  );
}

function TaskLine({ task, onDismiss }: { task: TrackedTask; onDismiss: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const q = useQuery({
    ...trpc.task.byId.queryOptions({ taskId: task.taskId }),
    refetchInterval: (query) => (query.state.data && !UNFINISHED.has(query.state.data.state) ? false : 700),
  });
  const state = q.data?.state ?? 'queued';
  const done = !UNFINISHED.has(state);
  useEffect(() => {
    // The volume list changes when the operation ends: read it again at once.
    if (done) void queryClient.invalidateQueries({ queryKey: trpc.storage.list.queryKey() });
  }, [done, queryClient, trpc]);
  const failed = state === 'failed';
  return (
    <li
      data-testid="storage-task"
      data-state={state}
      className={`flex items-center gap-3 rounded-md border px-3 py-1.5 text-sm ${failed ? 'border-red-200 bg-red-50' : 'border-zinc-200 bg-white'}`}
    >
      <span className="min-w-0 flex-1 truncate text-zinc-800">{task.label}</span>
      {failed ? (
        <span role="alert" className="min-w-0 flex-[2] text-red-800">
          {q.data?.errorMessage ?? 'Failed.'}
        </span>
      ) : (
        <span className="flex w-48 items-center gap-2">
          <ProgressBar percent={done ? 100 : (q.data?.progress ?? 0)} done={done} />
          <span className="w-16 text-xs text-zinc-500">{done ? 'done' : state}</span>
        </span>
      )}
      {done && (
        <button type="button" className={btn.ghost} aria-label="Dismiss" onClick={onDismiss}>
          <CloseIcon />
        </button>
      )}
    </li>
  );
}
