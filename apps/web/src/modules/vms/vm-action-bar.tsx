'use client';

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { actionAllowed, type VmAction } from './vm-actions';

interface VmActionBarProps {
  vm: VmView;
  /** A task is running on this VM: the API would refuse another, so every action waits. */
  busy: boolean;
  onTaskStarted: (taskId: string) => void;
}

export function VmActionBar({ vm, busy, onTaskStarted }: VmActionBarProps) {
  const trpc = useTRPC();
  const [confirming, setConfirming] = useState<'forceOff' | 'delete' | null>(null);
  const onSuccess = ({ taskId }: { taskId: string }) => onTaskStarted(taskId);
  const start = useMutation(trpc.vm.start.mutationOptions({ onSuccess }));
  const shutdown = useMutation(trpc.vm.shutdown.mutationOptions({ onSuccess }));
  const forceOff = useMutation(trpc.vm.forceOff.mutationOptions({ onSuccess }));
  const remove = useMutation(trpc.vm.delete.mutationOptions({ onSuccess }));
  const mutations = { start, shutdown, forceOff, delete: remove };
  const pending = Object.values(mutations).some((m) => m.isPending);
  // run() resets the others first, so at most one holds an error: the latest action's.
  const lastError = [start, shutdown, forceOff, remove].find((m) => m.error)?.error;

  const hostDown = vm.hostStatus !== null && vm.hostStatus !== 'online';
  const can = (action: VmAction) => !busy && !pending && !hostDown && actionAllowed(action, vm.state);
  const run = (action: VmAction) => {
    for (const m of Object.values(mutations)) m.reset();
    mutations[action].mutate({ vmId: vm.id });
  };
  const why = hostDown
    ? `Host ${vm.hostName ?? ''} is ${vm.hostStatus}`
    : busy
      ? 'A task is running on this VM'
      : undefined;

  return (
    <div className="flex flex-col items-end gap-1.5">
      <div className="flex items-center gap-1.5" title={why}>
        <button
          type="button"
          data-testid="vm-start"
          className={btn.secondary}
          disabled={!can('start')}
          onClick={() => run('start')}
        >
          Start
        </button>
        <button
          type="button"
          data-testid="vm-shutdown"
          className={btn.secondary}
          disabled={!can('shutdown')}
          onClick={() => run('shutdown')}
        >
          Shut down
        </button>
        <button
          type="button"
          data-testid="vm-forceoff"
          className={btn.danger}
          disabled={!can('forceOff')}
          onClick={() => setConfirming('forceOff')}
        >
          Force off
        </button>
        <button
          type="button"
          data-testid="vm-delete"
          className={btn.danger}
          disabled={!can('delete')}
          onClick={() => setConfirming('delete')}
        >
          Delete
        </button>
      </div>
      {lastError && (
        <div className="max-w-xl">
          <ErrorText error={lastError} testId="action-error" />
        </div>
      )}
      {confirming === 'forceOff' && (
        <ConfirmDialog
          title={`Force off ${vm.name}?`}
          confirmLabel="Force off"
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            setConfirming(null);
            run('forceOff');
          }}
        >
          This pulls the virtual power plug: the guest gets no chance to shut down, and unsaved data in it is lost.
        </ConfirmDialog>
      )}
      {confirming === 'delete' && (
        <ConfirmDialog
          title={`Delete ${vm.name}?`}
          confirmLabel="Delete VM"
          requireText={vm.name}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            setConfirming(null);
            run('delete');
          }}
        >
          The VM’s definition and its disks are removed from the host. This cannot be undone.
        </ConfirmDialog>
      )}
    </div>
  );
}
