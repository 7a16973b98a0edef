'use client';

import { skipToken, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';
import type { TaskView } from '@/trpc/types';

const UNFINISHED = new Set(['queued', 'running']);

/**
 * The task to show on a VM page: the one this page started (or was handed in ?task=), else the
 * newest unfinished task for this VM. Both stay current through live task changes.
 */
export function useVmTask(vmId: string, startedTaskId: string | null) {
  const trpc = useTRPC();
  const started = useQuery({
    ...trpc.task.byId.queryOptions(startedTaskId ? { taskId: startedTaskId } : skipToken),
    // Live changes keep it current, but a fetch answered before a fast task's last change and
    // landing after it would leave it "running" for good (and the page busy): re-read meanwhile.
    refetchInterval: (q) => (q.state.data && UNFINISHED.has(q.state.data.state) ? 2000 : false),
  });
  const recent = useQuery({
    ...trpc.task.list.queryOptions(),
    refetchInterval: (q) => (q.state.data?.some((t) => t.vmId === vmId && UNFINISHED.has(t.state)) ? 5000 : false),
  });
  const forVm = (recent.data ?? []).filter((t) => t.vmId === vmId);
  const running = forVm.find((t) => UNFINISHED.has(t.state));
  const task: TaskView | undefined = running && running.id !== started.data?.id ? running : (started.data ?? running);
  const busy = forVm.some((t) => UNFINISHED.has(t.state)) || (task !== undefined && UNFINISHED.has(task.state));
  /** The kind of the task running on this VM ('vm.start'…), if any. */
  const runningKind = running?.kind ?? (task && UNFINISHED.has(task.state) ? task.kind : undefined);
  return { task, busy, runningKind };
}
