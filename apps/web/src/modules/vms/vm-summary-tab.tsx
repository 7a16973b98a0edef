'use client';

import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { useSession } from '../auth/use-session';
import { VmTagEditor } from '../bulk/vm-tags';
import { RolesPanel } from '../permissions/roles-panel';
import { useManagesSomeScope } from '../permissions/use-infra-role';
import { VmLeaseCard } from '../showback/vm-lease-card';
import { PerformancePanel } from '../stats/performance-panel';
import { formatDateTime, formatMiB, formatPercent, formatUptime } from '../ui/format';
import { HostStatusPill, VmStatePill } from '../ui/status-pill';
import { useNow } from '../ui/use-now';
import { VmDescription } from './vm-description';
import { WhyHere } from './vm-placement-why';

/** NIC addresses are DHCP leases read from the host, which signal no changes: polled. */
const ADDRESS_POLL_MS = 10_000;

/** "Summary": what the VM is and does now, its tags, and its CPU, memory, disk and network graphs. */
export function VmSummaryTab({ vm }: { vm: VmView }) {
  // Sharing this one VM: the panel hides itself from who may not manage the VM (the API refuses).
  const managesSomeScope = useManagesSomeScope();
  return (
    <div className="flex flex-col gap-4 xl:flex-row xl:items-start">
      <div className="w-full shrink-0 space-y-4 xl:w-96">
        <Card title="Details">
          <VmDetails vm={vm} />
        </Card>
        <Card title="Tags">
          <VmTagEditor vm={vm} />
        </Card>
        <VmLeaseCard vmId={vm.id} />
      </div>
      <div className="min-w-0 flex-1 space-y-4">
        <PerformancePanel kind="vm" vmId={vm.id} memoryTotalBytes={vm.memoryMiB * 1024 * 1024} />
        {managesSomeScope && <RolesPanel scopeKind="vm" scopeId={vm.id} scopeName={vm.name} />}
      </div>
    </div>
  );
}

export function Card({ title, children }: { title: string; children: ReactNode }) {
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
  const { user } = useSession();
  const rows: [string, ReactNode][] = [
    ['State', <VmStatePill key="s" state={vm.state} reason={vm.stateReason} />],
    ['Description', <VmDescription key="d" vmId={vm.id} />],
    ['State reason', vm.stateReason ?? '—'],
    ['Uptime', <VmUptime key="up" startedAt={vm.startedAt} />],
    [
      'Host',
      <span key="h" className="flex items-center gap-1.5">
        {vm.hostName ?? '—'}
        {vm.hostStatus && vm.hostStatus !== 'online' && <HostStatusPill status={vm.hostStatus} />}
        {user?.role === 'admin' && vm.hostName && <WhyHere vmId={vm.id} />}
      </span>,
    ],
    ['Addresses', <VmAddresses key="a" vmId={vm.id} />],
    ['vCPUs', vm.vcpus],
    ['Memory', formatMiB(vm.memoryMiB)],
    ['CPU usage', formatPercent(vm.cpuUsagePercent)],
    ['Template', vm.templateName],
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
    <dl className="grid grid-cols-[6.5rem_1fr] gap-x-3 gap-y-1.5 text-sm" data-testid="vm-details">
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-zinc-500">{label}</dt>
          <dd className="min-w-0 text-zinc-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Since the VM's QEMU process started (its host's report); "—" when not running. Ticks live. */
function VmUptime({ startedAt }: { startedAt: string | null }) {
  const now = useNow(startedAt ? 5_000 : 60_000);
  if (!startedAt) return <span data-testid="vm-uptime">—</span>;
  return (
    <span data-testid="vm-uptime" title={`Started ${formatDateTime(startedAt)}`}>
      {formatUptime(startedAt, now)}
    </span>
  );
}

/** The NICs' current addresses (the same query as the Hardware tab's, so the two agree). */
function VmAddresses({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const hw = useQuery({ ...trpc.vm.hardware.queryOptions({ vmId }), refetchInterval: ADDRESS_POLL_MS });
  const addresses = hw.data?.nics.flatMap((n) => n.addresses) ?? [];
  if (!hw.data) return <span className="text-zinc-400">…</span>;
  if (addresses.length === 0) {
    const why = hw.data.addressSource === 'unavailable' ? 'host did not answer' : 'none known';
    return <span className="text-zinc-500">— ({why})</span>;
  }
  return (
    <span className="flex flex-col font-mono text-xs" data-testid="vm-summary-addresses">
      {addresses.map((a) => (
        <span key={a}>{a}</span>
      ))}
    </span>
  );
}
