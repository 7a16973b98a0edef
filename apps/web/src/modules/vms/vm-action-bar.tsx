'use client';

import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { offlineReason, useLive } from '../live/live-provider';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { Spinner } from '../ui/icons';
import { actionAllowed, type VmAction } from './vm-actions';
import { VmDeleteDialog } from './vm-delete-dialog';
import { useLifecycleVerbs } from './vm-lifecycle-actions';
import { VmMoreMenu } from './vm-more-menu';

interface VmActionBarProps {
  vm: VmView;
  /** A task is running on this VM: the API would refuse another, so every action waits. */
  busy: boolean;
  /** The kind of that task ('vm.start'…), to name what is going on. */
  runningKind: string | undefined;
  onTaskStarted: (taskId: string) => void;
  /** More everyday buttons for the row (Edit, Console), after the power ones. */
  lead?: ReactNode;
  /** Rare actions of other modules (Clone, Make template), in "More" before Delete. */
  moreItems?: ReactNode;
}

const LABEL: Record<VmAction, { idle: string; pending: string }> = {
  start: { idle: 'Start', pending: 'Starting…' },
  shutdown: { idle: 'Shut down', pending: 'Shutting down…' },
  forceOff: { idle: 'Force off', pending: 'Forcing off…' },
  delete: { idle: 'Delete', pending: 'Deleting…' },
};

const ACTION_OF_TASK: Record<string, VmAction> = {
  'vm.start': 'start',
  'vm.shutdown': 'shutdown',
  'vm.forceOff': 'forceOff',
  'vm.delete': 'delete',
};

/**
 * The VM page's actions, in one row: power verbs and `lead` as buttons, the rare and the
 * destructive ones in "More". Errors and confirmations show below the row, not in the menu.
 */
export function VmActionBar({ vm, busy, runningKind, onTaskStarted, lead, moreItems }: VmActionBarProps) {
  const trpc = useTRPC();
  const live = useLive();
  const [confirming, setConfirming] = useState<'forceOff' | 'delete' | null>(null);
  const [notSent, setNotSent] = useState<string | null>(null);
  const onSuccess = ({ taskId }: { taskId: string }) => onTaskStarted(taskId);
  const start = useMutation(trpc.vm.start.mutationOptions({ onSuccess }));
  const shutdown = useMutation(trpc.vm.shutdown.mutationOptions({ onSuccess }));
  const forceOff = useMutation(trpc.vm.forceOff.mutationOptions({ onSuccess }));
  const remove = useMutation(trpc.vm.delete.mutationOptions({ onSuccess }));
  const mutations = { start, shutdown, forceOff, delete: remove };
  const sending = (Object.keys(mutations) as VmAction[]).find((a) => mutations[a].isPending);
  // The action under way, from the click until its task ends: its button says so ("Deleting…").
  const inFlight: VmAction | undefined =
    sending ??
    (runningKind ? ACTION_OF_TASK[runningKind] : undefined) ??
    (vm.state === 'deleting' ? 'delete' : undefined);
  // run() resets the others first, so at most one holds an error: the latest action's.
  const lastError = [start, shutdown, forceOff, remove].find((m) => m.error)?.error;

  const hostDown = vm.hostStatus !== null && vm.hostStatus !== 'online';
  const can = (action: VmAction) => !busy && !sending && !hostDown && actionAllowed(action, vm.state);
  /** While the live connection is down nothing is sent (nor queued to run later): say so at once. */
  const refusedOffline = () => {
    const reason = offlineReason(live);
    setNotSent(reason);
    return reason !== null;
  };
  const run = (action: VmAction, opts: { keepDisks?: boolean } = {}) => {
    for (const m of Object.values(mutations)) m.reset();
    if (refusedOffline()) return;
    if (action === 'delete') remove.mutate({ vmId: vm.id, ...opts });
    else mutations[action].mutate({ vmId: vm.id });
  };
  const ask = (action: 'forceOff' | 'delete') => {
    for (const m of Object.values(mutations)) m.reset();
    if (!refusedOffline()) setConfirming(action);
  };
  const verbs = useLifecycleVerbs(vm, busy || !!sending || hostDown, onTaskStarted);
  const why = hostDown
    ? vm.hostName
      ? `Host ${vm.hostName} is ${vm.hostStatus}`
      : `Its host is ${vm.hostStatus}`
    : busy
      ? 'A task is running on this VM'
      : undefined;

  const button = (action: VmAction, look: string, onClick: () => void) => (
    <button
      type="button"
      data-testid={`vm-${action.toLowerCase()}`}
      data-pending={inFlight === action || undefined}
      aria-busy={inFlight === action}
      className={look}
      // The running one stays readable (not faded) and ignores clicks.
      disabled={!can(action) && inFlight !== action}
      aria-disabled={inFlight === action || undefined}
      onClick={inFlight === action ? undefined : onClick}
    >
      {inFlight === action && <Spinner />}
      {inFlight === action ? LABEL[action].pending : LABEL[action].idle}
    </button>
  );

  return (
    <div className="flex w-full flex-col items-start gap-1.5 sm:w-auto sm:items-end">
      <div className="flex flex-wrap items-center gap-1.5" title={why}>
        {button('start', btn.secondary, () => run('start'))}
        {button('shutdown', btn.secondary, () => run('shutdown'))}
        {verbs.button('reboot')}
        {lead}
        <VmMoreMenu>
          {verbs.button(vm.state === 'running' ? 'pause' : 'resume')}
          {verbs.button('startPaused')}
          {verbs.button('save')}
          {button('forceOff', btn.danger, () => ask('forceOff'))}
          {verbs.button('reset')}
          {moreItems && <hr />}
          {moreItems}
          <hr />
          {button('delete', btn.danger, () => ask('delete'))}
        </VmMoreMenu>
      </div>
      {verbs.error ? (
        <div className="max-w-xl">
          <ErrorText error={verbs.error} testId="lifecycle-error" />
        </div>
      ) : null}
      {verbs.dialog}
      {notSent && (
        <div className="max-w-xl" role="alert" data-testid="action-not-sent">
          <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">{notSent}</p>
        </div>
      )}
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
        <VmDeleteDialog
          vm={vm}
          onCancel={() => setConfirming(null)}
          onConfirm={(opts) => {
            setConfirming(null);
            run('delete', opts);
          }}
        />
      )}
    </div>
  );
}
