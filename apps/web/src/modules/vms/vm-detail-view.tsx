'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { type ReactNode, useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { errorInfo } from '@/trpc/errors';
import type { VmView } from '@/trpc/types';
import { ConsolePanel } from '../console/console-panel';
import { VmTagEditor } from '../bulk/vm-tags';
import { MakeTemplateButton } from '../templates/make-template-button';
import { ErrorText } from '../ui/error-text';
import { formatDateTime, formatMiB, formatPercent } from '../ui/format';
import { PageHeader } from '../ui/page-header';
import { HostStatusPill, VmStatePill } from '../ui/status-pill';
import { hasConsole } from './vm-actions';
import { VmActionBar } from './vm-action-bar';
import { VmDescription } from './vm-description';
import { VmEditButton } from './vm-edit-dialog';
import { TaskPanel } from './task-panel';
import { useLiveStats } from '../live/live-provider';
import { PerformancePanel } from '../stats/performance-panel';
import { useVmTask } from './use-vm-task';
import { VmHardwarePanel } from './vm-hardware-panel';
import { VmShutdownChoice } from './vm-shutdown-choice';
import { VmAutostartPanel } from './vm-autostart-panel';
import { VmCloneButton } from './vm-clone-dialog';
import { SnapshotsPanel } from '../snapshots/snapshots-panel';

export function VmDetailView({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const vm = useQuery(trpc.vm.byId.queryOptions({ vmId }));
  const [startedTaskId, setStartedTaskId] = useState<string | null>(params.get('task'));
  const { task, busy, runningKind } = useVmTask(vmId, startedTaskId);
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
            on <span className="font-medium text-zinc-800">{v.hostName ?? 'no host'}</span>
            {v.hostStatus && v.hostStatus !== 'online' && <HostStatusPill status={v.hostStatus} />}
          </span>
        }
        actions={
          <div className="flex flex-wrap items-start gap-1.5">
            <MakeTemplateButton vm={v} busy={busy} onTaskStarted={setStartedTaskId} />
            <VmCloneButton vm={v} busy={busy} />
            <VmEditButton vm={v} busy={busy} onTaskStarted={setStartedTaskId} />
            <VmActionBar vm={v} busy={busy} runningKind={runningKind} onTaskStarted={setStartedTaskId} />
          </div>
        }
      />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50">
        <div className="flex flex-col gap-4 p-4 xl:flex-row xl:items-start">
          <section className="min-w-0 flex-1" aria-label="Console">
            {hasConsole(v.state) ? (
              <ConsolePanel key={v.id} vmId={v.id} />
            ) : (
              <div
                data-testid="console-placeholder"
                className="flex aspect-[16/10] w-full flex-col items-center justify-center gap-1 rounded-lg border border-dashed border-zinc-300 bg-zinc-100 text-sm text-zinc-500"
              >
                <span>Start the VM to see its screen.</span>
                <span className="text-xs text-zinc-400">{`The VM is ${v.state}.`}</span>
              </div>
            )}
          </section>
          <aside className="w-full shrink-0 space-y-4 xl:w-80">
            <Card title="Task">
              {task ? <TaskPanel task={task} /> : <p className="text-xs text-zinc-500">No task running for this VM.</p>}
              <VmShutdownChoice vm={v} task={task} onTaskStarted={setStartedTaskId} />
            </Card>
            <Card title="Details">
              <VmDetails vm={v} />
            </Card>
            <Card title="Tags">
              <VmTagEditor vm={v} />
            </Card>
          </aside>
        </div>
        <div className="px-4 pb-4">
          <VmHardwarePanel vmId={v.id} version={v.state} running={v.state === 'running'} />
        </div>
        <div className="px-4 pb-4">
          <VmAutostartPanel vmId={v.id} />
          <SnapshotsPanel
            vm={v}
            busy={busy}
            version={`${v.state}:${task?.id}:${task?.state}`}
            onTaskStarted={setStartedTaskId}
          />
        </div>
        <div className="px-4 pb-4">
          <PerformancePanel kind="vm" vmId={v.id} memoryTotalBytes={v.memoryMiB * 1024 * 1024} />
        </div>
      </div>
    </>
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

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs">
      <h2 className="border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        {title}
      </h2>
      <div className="p-3">{children}</div>
    </section>
  );
}

function VmDetails({ vm }: { vm: VmView }) {
  const rows: [string, ReactNode][] = [
    ['Description', <VmDescription key="d" vmId={vm.id} />],
    ['State reason', vm.stateReason ?? '—'],
    ['vCPUs', vm.vcpus],
    ['Memory', formatMiB(vm.memoryMiB)],
    ['CPU usage', formatPercent(vm.cpuUsagePercent)],
    ['Template', vm.templateName],
    ['Host', vm.hostName ?? '—'],
    ['Owner', vm.ownerName],
    ['Created', formatDateTime(vm.createdAt)],
    [
      'UUID',
      <span key="u" className="font-mono text-[11px] break-all">
        {vm.uuid}
      </span>,
    ],
  ];
  return (
    <dl className="grid grid-cols-[6rem_1fr] gap-x-3 gap-y-1.5 text-sm">
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-zinc-500">{label}</dt>
          <dd className="min-w-0 text-zinc-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}
