'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { openConsoleWindow } from '../console/vnc-console';
import { actionAllowed, hasConsole } from '../vms/vm-actions';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatMiB, plural } from '../ui/format';
import { EmptyRow, stacked, TableHead, td } from '../ui/page-header';
import { VmStatePill } from '../ui/status-pill';
import { QuotaBars } from '../quotas/quota-bars';

/** The most VMs the portal lists at once; a member's projects hold far fewer under their quotas. */
const PORTAL_LIST_LIMIT = 500;

/** My VMs: the VMs the member may see, by project, with their power actions; each project's quota. */
export function PortalHome() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.portal.overview.queryOptions());
  const [projectId, setProjectId] = useState<string | undefined>(undefined);
  const list = useQuery(
    trpc.vm.list.queryOptions({
      limit: PORTAL_LIST_LIMIT,
      sort: 'name',
      dir: 'asc',
      ...(projectId ? { projectId } : {}),
    }),
  );
  // VMs come and go (live updates patch the list): the projects' use is read again with them.
  const total = list.data?.total;
  const { refetch } = overview;
  useEffect(() => {
    if (total !== undefined) void refetch();
  }, [total, refetch]);
  const projects = overview.data?.projects ?? [];
  const rows = list.data?.rows ?? [];

  return (
    <div className="mx-auto flex max-w-6xl flex-col gap-4 p-4 lg:flex-row lg:items-start">
      <section className="min-w-0 flex-1 rounded-lg border border-zinc-200 bg-white" aria-label="My virtual machines">
        <div className="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-4 py-3">
          <h1 className="text-base font-semibold text-zinc-900">My virtual machines</h1>
          {list.data && (
            <span className="text-sm text-zinc-500" data-testid="portal-vm-count">
              {plural(list.data.total, 'VM')}
            </span>
          )}
          <div className="ml-auto flex items-center gap-2">
            {projects.length > 1 && (
              <select
                aria-label="Project"
                className="h-7 rounded-md border border-zinc-300 bg-white px-2 text-sm"
                value={projectId ?? ''}
                onChange={(e) => setProjectId(e.target.value || undefined)}
                data-testid="portal-project-filter"
              >
                <option value="">All projects</option>
                {projects.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            )}
            <Link href="/portal/new" className={btn.primary} data-testid="portal-new-vm">
              New VM
            </Link>
          </div>
        </div>
        <ErrorText error={list.error} />
        <div className="overflow-x-auto">
          <table className={`w-full text-sm ${stacked.table}`} data-testid="portal-vm-table">
            <TableHead columns={['Name', 'State', 'Project', 'Size', 'Actions']} className={stacked.thead} />
            <tbody className={stacked.tbody}>
              {list.isPending && <EmptyRow colSpan={5}>Loading…</EmptyRow>}
              {list.data && rows.length === 0 && (
                <EmptyRow colSpan={5}>
                  No VMs yet.{' '}
                  <Link href="/portal/new" className="text-teal-700 hover:underline">
                    Create one
                  </Link>{' '}
                  from a template your project offers.
                </EmptyRow>
              )}
              {rows.map((vm) => (
                <PortalVmRow key={vm.id} vm={vm} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <aside className="flex w-full flex-col gap-3 lg:w-80" aria-label="Quotas">
        {overview.error && <ErrorText error={overview.error} />}
        {projects.map((p) => (
          <section
            key={p.id}
            className="rounded-lg border border-zinc-200 bg-white p-3"
            data-testid={`portal-project-${p.name}`}
          >
            <div className="mb-2 flex items-baseline gap-2">
              <h2 className="font-semibold text-zinc-900">{p.name}</h2>
              <span className="rounded bg-zinc-100 px-1.5 py-px text-[11px] text-zinc-600 uppercase">{p.role}</span>
              {(p.role === 'owner' || p.role === 'admin') && (
                <Link
                  href={`/projects/${p.id}`}
                  className="ml-auto text-xs text-teal-700 hover:underline"
                  data-testid="portal-project-members"
                >
                  Members
                </Link>
              )}
            </div>
            {p.description && <p className="mb-2 text-xs text-zinc-500">{p.description}</p>}
            <QuotaBars quota={p.quota} used={p.used} />
          </section>
        ))}
        {overview.data && projects.length === 0 && (
          <p
            className="rounded-lg border border-dashed border-zinc-300 p-3 text-sm text-zinc-600"
            data-testid="portal-no-project"
          >
            You are not a member of any project yet. Ask an administrator to add you to one; until then you see only VMs
            you own, and you create VMs of your own (outside projects) from the console’s{' '}
            <Link href="/vms/new" className="text-teal-700 hover:underline">
              New VM
            </Link>{' '}
            form.
          </p>
        )}
      </aside>
    </div>
  );
}

function PortalVmRow({ vm }: { vm: VmView }) {
  const trpc = useTRPC();
  const start = useMutation(trpc.vm.start.mutationOptions());
  const shutdown = useMutation(trpc.vm.shutdown.mutationOptions());
  const error = start.error ?? shutdown.error;
  const busy = start.isPending || shutdown.isPending || vm.state === 'creating' || vm.state === 'deleting';
  return (
    <tr className={`hover:bg-zinc-50 ${stacked.tr}`} data-testid={`portal-vm-${vm.name}`}>
      <td className={`${td} ${stacked.td}`} data-label="Name">
        <Link href={`/portal/vms/${vm.id}`} className="font-medium text-teal-800 hover:underline">
          {vm.name}
        </Link>
        {error && (
          <div className="mt-1 max-w-md whitespace-normal">
            <ErrorText error={error} />
          </div>
        )}
      </td>
      <td className={`${td} ${stacked.td}`} data-label="State">
        <VmStatePill state={vm.state} reason={vm.stateReason} testId="portal-vm-state" />
      </td>
      <td className={`${td} text-zinc-600 ${stacked.td}`} data-label="Project">
        {vm.projectName ?? <span className="text-zinc-400">personal</span>}
      </td>
      <td className={`${td} text-zinc-600 tabular-nums ${stacked.td}`} data-label="Size">
        {vm.vcpus} vCPU · {formatMiB(vm.memoryMiB)}
      </td>
      <td className={`${td} ${stacked.td}`} data-label="Actions">
        <div className="flex gap-1.5">
          {actionAllowed('start', vm.state) && (
            <button
              type="button"
              className={btn.secondary}
              disabled={busy}
              onClick={() => start.mutate({ vmId: vm.id })}
              data-testid="portal-vm-start"
            >
              {start.isPending ? 'Starting…' : 'Start'}
            </button>
          )}
          {vm.state === 'running' && (
            <button
              type="button"
              className={btn.secondary}
              disabled={busy}
              onClick={() => shutdown.mutate({ vmId: vm.id })}
              data-testid="portal-vm-shutdown"
            >
              {shutdown.isPending ? 'Shutting down…' : 'Shut down'}
            </button>
          )}
          {hasConsole(vm.state) && (
            <button type="button" className={btn.ghost} onClick={() => openConsoleWindow(vm.id)}>
              Console
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}
