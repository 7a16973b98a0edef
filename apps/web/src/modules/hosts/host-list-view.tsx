'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { memo, useMemo } from 'react';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import type { HostView } from '@/trpc/types';
import { UsageBar } from '../ui/bars';
import { ErrorText } from '../ui/error-text';
import { formatAgo, formatBytes } from '../ui/format';
import { EmptyRow, PageHeader, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { HostStatusPill } from '../ui/status-pill';
import { useNow } from '../ui/use-now';
import { AddHostButton } from './add-host-dialog';
import { MaintenanceBadge } from './maintenance';
import { RemoveHostButton } from './remove-host-button';

const COLUMNS = ['Name', 'Status', 'CPU', 'Memory', 'VMs', 'libvirt / QEMU', 'Domain types', 'Last seen'];
// On a phone each host is a card (label  value lines): as a table, only its name and status fit.
const td = `${tdBase} ${stacked.td}`;

export function HostListView() {
  const trpc = useTRPC();
  const { user } = useSession();
  const isAdmin = user?.role === 'admin';
  const hosts = useQuery(trpc.host.list.queryOptions());
  // Several managers: which one holds each host's agent (admins; one manager: not shown).
  const cluster = useQuery({ ...trpc.cluster.self.queryOptions(), enabled: isAdmin, refetchInterval: 15_000 });
  const managerCount = cluster.data?.managers.length ?? 1;
  const now = useNow(5_000);
  const sorted = useMemo(() => [...(hosts.data ?? [])].sort((a, b) => a.name.localeCompare(b.name)), [hosts.data]);
  const online = sorted.filter((h) => h.status === 'online').length;

  return (
    <>
      <PageHeader
        title="Hosts"
        meta={
          hosts.data && (
            <span>
              {`${online} of ${sorted.length} online`}
              {managerCount > 1 && ` · ${managerCount} managers`}
            </span>
          )
        }
        actions={isAdmin && <AddHostButton />}
      />
      {hosts.error && (
        <div className="p-4">
          <ErrorText error={hosts.error} />
        </div>
      )}
      <div className="min-h-0 flex-1 overflow-auto">
        <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
          <TableHead columns={COLUMNS} className={stacked.thead} />
          <tbody className={stacked.tbody}>
            {sorted.map((host) => (
              <HostRow key={host.id} host={host} now={now} showManager={managerCount > 1} />
            ))}
            {hosts.isPending && <EmptyRow colSpan={COLUMNS.length}>Loading hosts…</EmptyRow>}
            {hosts.data?.length === 0 && (
              <EmptyRow colSpan={COLUMNS.length}>
                {isAdmin ? 'No hosts yet. Add one with “Add host”.' : 'No hosts yet. An administrator adds hosts.'}
              </EmptyRow>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

const HostRow = memo(function HostRow({
  host,
  now,
  showManager,
}: {
  host: HostView;
  now: number;
  showManager: boolean;
}) {
  const usedBytes = Math.max(0, host.memoryBytes - host.memoryFreeBytes);
  const memPercent = host.memoryBytes > 0 ? (usedBytes / host.memoryBytes) * 100 : 0;
  const offline = host.status !== 'online';
  return (
    <tr
      data-testid="host-row"
      data-status={host.status}
      data-name={host.name}
      data-maintenance={host.maintenance}
      className={`hover:bg-zinc-50 ${stacked.tr}`}
    >
      <td data-label="Name" className={td}>
        <div className="min-w-0">
          <Link href={`/hosts/${host.id}`} className="font-medium text-zinc-900 hover:text-teal-700 hover:underline">
            {host.name}
          </Link>
          <div className="text-xs text-zinc-500">
            {host.hostname}
            {host.address ? ` · ${host.address}` : ''} · {host.clusterName}
          </div>
        </div>
      </td>
      <td data-label="Status" className={td}>
        <div className="flex flex-wrap items-center gap-1">
          <HostStatusPill status={host.status} />
          <MaintenanceBadge host={host} />
        </div>
        {showManager && host.managerId && (
          <div className="mt-1 text-xs text-zinc-500" title="The manager this host's agent is connected to">
            via {host.managerId}
          </div>
        )}
      </td>
      <td data-label="CPU" className={`${td} ${offline ? 'opacity-50' : ''}`}>
        <div className="min-w-0">
          <UsageBar percent={host.cpuUsagePercent} label={`${host.cpuUsagePercent.toFixed(0)} %`} />
          <div className="mt-0.5 max-w-56 truncate text-xs text-zinc-500" title={host.cpuModel}>
            {host.cpuCount} × {host.cpuModel || 'unknown CPU'}
          </div>
        </div>
      </td>
      <td data-label="Memory" className={`${td} ${offline ? 'opacity-50' : ''}`}>
        <UsageBar
          percent={memPercent}
          label={`${formatBytes(usedBytes)} / ${formatBytes(host.memoryBytes)}`}
          title={`${formatBytes(host.memoryFreeBytes)} free`}
        />
      </td>
      <td data-label="VMs" className={`${td} tabular-nums`}>
        {host.vmCount}
      </td>
      <td data-label="Versions" className={`${td} text-xs text-zinc-600`}>
        <div>
          <div>libvirt {host.libvirtVersion || '—'}</div>
          <div>QEMU {host.qemuVersion || '—'}</div>
        </div>
      </td>
      <td data-label="Types" className={td}>
        <div className="flex gap-1">
          {host.domainTypes.map((t) => (
            <span
              key={t}
              className="rounded bg-zinc-100 px-1.5 py-px font-mono text-xs text-zinc-700 ring-1 ring-zinc-200"
            >
              {t}
            </span>
          ))}
        </div>
      </td>
      <td data-label="Last seen" className={`${td} text-xs text-zinc-600`} title={host.lastSeenAt ?? undefined}>
        {formatAgo(host.lastSeenAt, now)}
        <RemoveHostButton host={host} />
      </td>
    </tr>
  );
});
