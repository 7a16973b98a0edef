'use client';

import type { TaskView } from '@/trpc/types';
import { ProgressBar } from '../ui/bars';
import { formatTaskKind } from '../ui/format';
import { TaskStatePill } from '../ui/status-pill';

/** A task's progress and outcome, as shown on the VM page while (and after) it runs. */
export function TaskPanel({ task }: { task: TaskView }) {
  const failed = task.state === 'failed';
  const done = task.state === 'succeeded' || failed;
  return (
    <div data-testid="vm-task" data-state={task.state} className="space-y-1.5">
      <div className="flex items-center gap-2">
        <span className="text-sm font-medium text-zinc-800">{formatTaskKind(task.kind)}</span>
        <TaskStatePill state={task.state} />
        <span className="ml-auto text-xs text-zinc-500 tabular-nums">
          {done && !failed ? '100 %' : `${Math.round(task.progress)} %`}
        </span>
      </div>
      <ProgressBar percent={done && !failed ? 100 : task.progress} failed={failed} done={done} />
      {task.message && !failed && <p className="text-xs text-zinc-600">{task.message}</p>}
      {failed && (
        <p data-testid="vm-task-error" className="text-xs text-red-700">
          {task.errorMessage ?? 'The task failed.'}
          {task.errorCode && <span className="ml-1 font-mono text-[11px] text-red-500">({task.errorCode})</span>}
        </p>
      )}
    </div>
  );
}
