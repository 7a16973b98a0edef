'use client';

import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';
import type { TaskView, VmView } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

/**
 * After a graceful shutdown timed out (the guest ignored the ACPI button, or is slow), the
 * choice the admin has: pull the plug, or ask again and keep waiting. Shown while the VM is
 * still up and that shutdown is its latest task.
 */
export function VmShutdownChoice({
  vm,
  task,
  onTaskStarted,
}: {
  vm: VmView;
  task: TaskView | undefined;
  onTaskStarted: (taskId: string) => void;
}) {
  const trpc = useTRPC();
  const onSuccess = ({ taskId }: { taskId: string }) => onTaskStarted(taskId);
  const forceOff = useMutation(trpc.vm.forceOff.mutationOptions({ onSuccess }));
  const wait = useMutation(trpc.vm.shutdown.mutationOptions({ onSuccess }));
  const timedOut = task?.kind === 'vm.shutdown' && task.state === 'failed' && task.errorCode === 'SHUTDOWN_TIMEOUT';
  if (!timedOut || (vm.state !== 'running' && vm.state !== 'shutdown' && vm.state !== 'paused')) return null;
  const sending = forceOff.isPending || wait.isPending;
  return (
    <div
      role="alert"
      data-testid="shutdown-choice"
      className="mt-2 space-y-2 rounded-md border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900"
    >
      <p>The guest did not shut down in time. Force it off (unsaved data in it is lost), or keep waiting?</p>
      <div className="flex gap-1.5">
        <button
          type="button"
          className={btn.danger}
          disabled={sending}
          onClick={() => forceOff.mutate({ vmId: vm.id })}
        >
          Force off
        </button>
        <button type="button" className={btn.secondary} disabled={sending} onClick={() => wait.mutate({ vmId: vm.id })}>
          Keep waiting
        </button>
      </div>
      <ErrorText error={forceOff.error ?? wait.error} />
    </div>
  );
}
