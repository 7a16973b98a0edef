'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type ReactNode, useEffect } from 'react';
import { useTRPC } from '@/trpc/client';
import { RolesPanel } from '../permissions/roles-panel';
import { useCan } from '../permissions/use-can';
import type { HostView } from '@/trpc/types';
import { UsageBar } from '../ui/bars';
import { ErrorText } from '../ui/error-text';
import { formatAgo, formatBytes, formatDateTime } from '../ui/format';
import { PageHeader } from '../ui/page-header';
import { HostStatusPill } from '../ui/status-pill';
import { useNow } from '../ui/use-now';
import { HaWhatIfPanel } from '../ha/what-if';
import { HostFencePanel, HostHaBadge, HostHaBanner } from '../ha/host-ha';
import { PerformancePanel } from '../stats/performance-panel';
import { HostActivity } from './host-activity';
import { MaintenanceActions, MaintenanceBadge, MaintenancePanel } from './maintenance';

/**
 * One host: its facts and its performance history. The host comes from the host list query,
 * which the live stream keeps current, so status and usage change here as they do in the list.
 */
export function HostDetailView({ hostId }: { hostId: string }) {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.host.list.queryOptions());
  // A delegated admin sees the actions its role allows here: maintenance needs 'manage' on the
  // host; HA fencing and the what-if stay with administrators (the API checks each anyway).
  const managesHost = useCan('manage', 'host', hostId);
  const managesSystem = useCan('manage', 'system', '');
  const host = hosts.data?.find((h) => h.id === hostId);
  const now = useNow(5_000);
  useEffect(() => {
    if (host) document.title = `${host.name} · Hosts · Vireo`;
  }, [host]);

  if (hosts.error) {
    return (
      <>
        <PageHeader title={<Breadcrumb name="Host" />} />
        <div className="p-4">
          <ErrorText error={hosts.error} />
        </div>
      </>
    );
  }
  if (!hosts.data) return <PageHeader title={<Breadcrumb name="Loading…" />} />;
  if (!host) {
    return (
      <>
        <PageHeader title={<Breadcrumb name="Unknown host" />} />
        <div className="space-y-3 p-4">
          <p className="text-sm text-zinc-600" data-testid="host-not-found">
            No such host: it was removed, or the link is wrong.
          </p>
          <Link href="/hosts" className="text-sm text-teal-700 hover:underline">
            Back to hosts
          </Link>
        </div>
      </>
    );
  }
  return (
    <>
      <PageHeader
        title={
          <span className="flex items-center gap-3">
            <Breadcrumb name={host.name} />
            <HostStatusPill status={host.status} />
            <MaintenanceBadge host={host} />
            {managesSystem && <HostHaBadge hostId={host.id} version={host} />}
          </span>
        }
        meta={<span>{`last seen ${formatAgo(host.lastSeenAt, now)}`}</span>}
        actions={managesHost && <MaintenanceActions host={host} />}
      />
      <div className="min-h-0 flex-1 space-y-4 overflow-auto bg-zinc-50 p-4">
        {managesSystem && <HostHaBanner hostId={host.id} version={host} />}
        <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" aria-label="Details">
          <h2 className="border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
            Details
          </h2>
          <HostFacts host={host} />
        </section>
        <MaintenancePanel host={host} />
        {managesSystem && <HaWhatIfPanel hostId={host.id} />}
        {managesSystem && <HostFencePanel hostId={host.id} version={host} />}
        <PerformancePanel kind="host" hostId={host.id} memoryTotalBytes={host.memoryBytes} />
        <HostActivity hostId={host.id} vmCount={host.vmCount} />
        <RolesPanel scopeKind="host" scopeId={host.id} scopeName={host.name} />
      </div>
    </>
  );
}

function Breadcrumb({ name }: { name: string }) {
  return (
    <span className="flex items-center gap-2">
      <Link href="/hosts" className="font-normal whitespace-nowrap text-zinc-600 hover:text-zinc-900">
        Hosts
      </Link>
      <span className="text-zinc-300">/</span>
      <span data-testid="host-name-heading" className="max-w-48 truncate sm:max-w-96">
        {name}
      </span>
    </span>
  );
}

function HostFacts({ host }: { host: HostView }) {
  const usedBytes = Math.max(0, host.memoryBytes - host.memoryFreeBytes);
  const memPercent = host.memoryBytes > 0 ? (usedBytes / host.memoryBytes) * 100 : 0;
  const rows: [string, ReactNode][] = [
    ['Hostname', host.hostname],
    ['Address', host.address ?? '—'],
    ['Cluster', host.clusterName],
    ['CPU', `${host.cpuCount} × ${[host.cpuVendor, host.cpuModel].filter(Boolean).join(' ') || 'unknown CPU'}`],
    [
      'CPU features',
      host.cpuFeatures.length > 0 ? (
        <span key="f" title={host.cpuFeatures.join(' ')} data-testid="host-cpu-features">
          {host.cpuFeatures.length} beyond the model
        </span>
      ) : (
        '—'
      ),
    ],
    ['CPU usage', <UsageBar key="c" percent={host.cpuUsagePercent} label={`${host.cpuUsagePercent.toFixed(0)} %`} />],
    [
      'Memory',
      <UsageBar
        key="m"
        percent={memPercent}
        label={`${formatBytes(usedBytes)} / ${formatBytes(host.memoryBytes)}`}
        title={`${formatBytes(host.memoryFreeBytes)} free`}
      />,
    ],
    ['VMs', host.vmCount],
    ['libvirt', host.libvirtVersion || '—'],
    ['QEMU', host.qemuVersion || '—'],
    ['Domain types', host.domainTypes.join(', ') || '—'],
    ['Last seen', formatDateTime(host.lastSeenAt)],
  ];
  return (
    <dl className="grid grid-cols-1 gap-x-8 gap-y-1.5 p-3 text-sm md:grid-cols-2">
      {rows.map(([label, value]) => (
        <div key={label} className="grid grid-cols-[7rem_1fr] gap-x-3">
          <dt className="text-zinc-500">{label}</dt>
          <dd className="min-w-0 text-zinc-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}
