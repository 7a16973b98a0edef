'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { errorInfo } from '@/trpc/errors';
import type { TaskView, VmView } from '@/trpc/types';
import { ConsolePanel } from '../console/console-panel';
import { useLiveStats } from '../live/live-provider';
import { SnapshotsPanel } from '../snapshots/snapshots-panel';
import { VmHaBadge, VmHaPanel } from '../ha/vm-ha-panel';
import { MakeTemplateButton } from '../templates/make-template-button';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { PageHeader } from '../ui/page-header';
import { HostStatusPill, VmStatePill } from '../ui/status-pill';
import { TaskPanel } from './task-panel';
import { useVmTask } from './use-vm-task';
import { VmActionBar } from './vm-action-bar';
import { hasConsole } from './vm-actions';
import { VmActivityTab } from './vm-activity-tab';
import { VmAutostartPanel } from './vm-autostart-panel';
import { VmCloneButton } from './vm-clone-dialog';
import { VmEditButton } from './vm-edit-dialog';
import { VmHardwarePanel } from './vm-hardware-panel';
import { VmMigrateButton } from './vm-migrate-dialog';
import { VmShutdownChoice } from './vm-shutdown-choice';
import { VmSummaryTab } from './vm-summary-tab';
import { panelId, tabId, useVmTab, VmTabList } from './vm-tabs';

export function VmDetailView({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const vm = useQuery(trpc.vm.byId.queryOptions({ vmId }));
  const [startedTaskId, setStartedTaskId] = useState<string | null>(params.get('task'));
  const { task, busy, runningKind } = useVmTask(vmId, startedTaskId);
  const [tab, setTab] = useVmTab();
  useLiveStats([vmId]);
  const name = vm.data?.name;
  useEffect(() => {
    if (name) document.title = `${name} · Virtual machines · Vireo`;
  }, [name]);

  if (vm.error) {
    const info = errorInfo(vm.error);
    // After a delete, the failed refetch keeps the last data: this page saw the VM, so it is gone.
    // Without data the API cannot say (and will not: ids are not probed) whether it exists.
    const deletedHere = vm.data !== undefined;
    return (
      <>
        <PageHeader title={<Breadcrumb name={vm.data?.name ?? 'Unknown VM'} />} />
        <div className="space-y-3 p-4">
          {info.code === 'NOT_FOUND' ? (
            <p className="text-sm text-zinc-600" data-testid="vm-not-found">
              {deletedHere
                ? 'This virtual machine no longer exists.'
                : 'No such virtual machine, or it is not yours: it does not exist, or it belongs to another user.'}
            </p>
          ) : (
            <ErrorText error={vm.error} />
          )}
          <Link href="/vms" className="text-sm text-teal-700 hover:underline">
            Back to virtual machines
          </Link>
        </div>
      </>
    );
  }
  if (!vm.data) {
    return <PageHeader title={<Breadcrumb name="Loading…" />} />;
  }
  const v = vm.data;

  return (
    <>
      <PageHeader
        title={
          <span className="flex items-center gap-3">
            <Breadcrumb name={v.name} />
            <VmStatePill state={v.state} reason={v.stateReason} testId="vm-state" />
          </span>
        }
        meta={
          <span className="flex items-center gap-1.5" data-testid="vm-host">
            {/* A host the viewer may not view is not named (hostName null, hostId set). */}
            {v.hostName !== null ? (
              <>
                on <span className="font-medium text-zinc-800">{v.hostName}</span>
              </>
            ) : (
              v.hostId === null && <span className="font-medium text-zinc-800">on no host</span>
            )}
            {v.hostStatus && v.hostStatus !== 'online' && <HostStatusPill status={v.hostStatus} />}
            <VmHaBadge vmId={v.id} />
          </span>
        }
        actions={
          <VmActionBar
            vm={v}
            busy={busy}
            runningKind={runningKind}
            onTaskStarted={setStartedTaskId}
            lead={
              <>
                <button
                  type="button"
                  // On a phone the Console tab is right below: one button fewer in the crowded row.
                  className={`${btn.secondary} max-sm:hidden`}
                  data-testid="vm-console-open"
                  aria-pressed={tab === 'console'}
                  onClick={() => setTab('console')}
                >
                  Console
                </button>
                <VmEditButton vm={v} busy={busy} onTaskStarted={setStartedTaskId} />
              </>
            }
            moreItems={
              <>
                <VmCloneButton vm={v} busy={busy} />
                <VmMigrateButton vm={v} busy={busy} onTaskStarted={setStartedTaskId} />
                <MakeTemplateButton vm={v} busy={busy} onTaskStarted={setStartedTaskId} />
              </>
            }
          />
        }
      />
      {/* The running (or just finished) task, whichever tab is open. */}
      {(task || shutdownTimedOut(task)) && (
        <section className="border-b border-zinc-200 bg-white px-4 py-2" aria-label="Task">
          <div className="max-w-3xl">
            {task && <TaskPanel task={task} />}
            <VmShutdownChoice vm={v} task={task} onTaskStarted={setStartedTaskId} />
          </div>
        </section>
      )}
      <VmTabList tab={tab} onSelect={setTab} />
      <div
        role="tabpanel"
        id={panelId(tab)}
        aria-labelledby={tabId(tab)}
        data-testid={panelId(tab)}
        className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-4"
      >
        {tab === 'summary' && <VmSummaryTab vm={v} />}
        {tab === 'console' && <VmConsoleTab vm={v} />}
        {tab === 'hardware' && (
          <div className="space-y-4">
            <VmHardwarePanel vmId={v.id} version={v.state} running={v.state === 'running'} />
            <VmAutostartPanel vmId={v.id} />
            <VmHaPanel vmId={v.id} />
          </div>
        )}
        {tab === 'snapshots' && (
          <SnapshotsPanel
            vm={v}
            busy={busy}
            version={`${v.state}:${task?.id}:${task?.state}`}
            onTaskStarted={setStartedTaskId}
          />
        )}
        {tab === 'tasks' && <VmActivityTab vmId={v.id} />}
      </div>
    </>
  );
}

function shutdownTimedOut(task: TaskView | undefined): boolean {
  return task?.kind === 'vm.shutdown' && task.state === 'failed' && task.errorCode === 'SHUTDOWN_TIMEOUT';
}

function VmConsoleTab({ vm }: { vm: VmView }) {
  return (
    <section className="mx-auto max-w-6xl" aria-label="Console">
      {hasConsole(vm.state) ? (
        <ConsolePanel key={vm.id} vmId={vm.id} />
      ) : (
        <div
          data-testid="console-placeholder"
          className="flex aspect-[16/10] max-h-[70vh] w-full flex-col items-center justify-center gap-1 rounded-lg border border-dashed border-zinc-300 bg-zinc-100 text-sm text-zinc-500"
        >
          <span>Start the VM to see its screen.</span>
          <span className="text-xs text-zinc-400">{`The VM is ${vm.state}.`}</span>
        </div>
      )}
    </section>
  );
}

function Breadcrumb({ name }: { name: string }) {
  return (
    <span className="flex items-center gap-2">
      <Link href="/vms" className="font-normal whitespace-nowrap text-zinc-600 hover:text-zinc-900">
        <span className="hidden sm:inline">Virtual machines</span>
        <span className="sm:hidden">VMs</span>
      </Link>
      <span className="text-zinc-300">/</span>
      <span data-testid="vm-name-heading" className="max-w-48 truncate sm:max-w-96">
        {name}
      </span>
    </span>
  );
}
