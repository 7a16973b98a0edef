'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { errorInfo } from '@/trpc/errors';
import type { VmView } from '@/trpc/types';
import { ConsolePanel } from '../console/console-panel';
import { SnapshotsPanel } from '../snapshots/snapshots-panel';
import { ErrorText } from '../ui/error-text';
import { formatDateTime, formatMiB } from '../ui/format';
import { VmStatePill } from '../ui/status-pill';
import { TaskPanel } from '../vms/task-panel';
import { useVmTask } from '../vms/use-vm-task';
import { VmActionBar } from '../vms/vm-action-bar';
import { hasConsole } from '../vms/vm-actions';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'console', label: 'Console' },
  { id: 'snapshots', label: 'Snapshots' },
] as const;
type Tab = (typeof TABS)[number]['id'];

/** One VM in the portal: power actions, console and snapshots; where it runs is not the member's concern. */
export function PortalVmView({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const vm = useQuery(trpc.vm.byId.queryOptions({ vmId }));
  const [startedTaskId, setStartedTaskId] = useState<string | null>(null);
  const { task, busy, runningKind } = useVmTask(vmId, startedTaskId);
  const [tab, setTab] = useState<Tab>('overview');

  if (vm.error) {
    const gone = errorInfo(vm.error).code === 'NOT_FOUND';
    return (
      <div className="mx-auto max-w-4xl space-y-3 p-4">
        {gone ? (
          <p className="text-sm text-zinc-600" data-testid="vm-not-found">
            {vm.data ? 'This virtual machine no longer exists.' : 'No such virtual machine, or it is not yours.'}
          </p>
        ) : (
          <ErrorText error={vm.error} />
        )}
        <Link href="/portal" className="text-sm text-teal-700 hover:underline">
          Back to my VMs
        </Link>
      </div>
    );
  }
  if (!vm.data) return <p className="p-4 text-sm text-zinc-500">Loading…</p>;
  const v = vm.data;
  return (
    <div className="mx-auto flex max-w-6xl flex-col gap-3 p-4">
      <div className="flex flex-wrap items-center gap-3">
        <Link href="/portal" className="text-sm text-zinc-600 hover:text-zinc-900">
          My VMs
        </Link>
        <span className="text-zinc-300">/</span>
        <h1 className="text-lg font-semibold text-zinc-900" data-testid="vm-name-heading">
          {v.name}
        </h1>
        <VmStatePill state={v.state} reason={v.stateReason} testId="vm-state" />
        <div className="flex w-full items-center gap-2 sm:ml-auto sm:w-auto">
          <VmActionBar vm={v} busy={busy} runningKind={runningKind} onTaskStarted={setStartedTaskId} />
        </div>
      </div>
      {task && (
        <div className="max-w-3xl">
          <TaskPanel task={task} />
        </div>
      )}
      <div role="tablist" aria-label="VM" className="flex gap-1 border-b border-zinc-200">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            data-testid={`portal-tab-${t.id}`}
            onClick={() => setTab(t.id)}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium ${tab === t.id ? 'border-teal-700 text-teal-800' : 'border-transparent text-zinc-600 hover:text-zinc-900'}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" data-testid={`portal-panel-${tab}`}>
        {tab === 'overview' && <Overview vm={v} />}
        {tab === 'console' &&
          (hasConsole(v.state) ? (
            <ConsolePanel key={v.id} vmId={v.id} />
          ) : (
            <p className="rounded-lg border border-dashed border-zinc-300 bg-white p-8 text-center text-sm text-zinc-500">
              Start the VM to see its screen. It is {v.state}.
            </p>
          ))}
        {tab === 'snapshots' && (
          <SnapshotsPanel
            vm={v}
            busy={busy}
            version={`${v.state}:${task?.id}:${task?.state}`}
            onTaskStarted={setStartedTaskId}
          />
        )}
      </div>
    </div>
  );
}

function Overview({ vm }: { vm: VmView }) {
  const rows: [string, string][] = [
    ['Project', vm.projectName ?? 'personal (no project)'],
    ['Owner', vm.ownerName],
    ['Template', vm.templateName],
    ['vCPUs', String(vm.vcpus)],
    ['Memory', formatMiB(vm.memoryMiB)],
    ['Created', formatDateTime(vm.createdAt)],
    ['Running since', vm.startedAt ? formatDateTime(vm.startedAt) : '—'],
    ['Tags', vm.tags.join(', ') || '—'],
  ];
  return (
    <dl
      className="grid max-w-2xl grid-cols-[7rem_1fr] sm:grid-cols-[10rem_1fr] gap-x-4 gap-y-1.5 rounded-lg border border-zinc-200 bg-white p-4 text-sm"
      data-testid="portal-vm-overview"
    >
      {rows.map(([k, val]) => (
        <div key={k} className="contents">
          <dt className="text-zinc-500">{k}</dt>
          <dd className="text-zinc-900">{val}</dd>
        </div>
      ))}
    </dl>
  );
}
