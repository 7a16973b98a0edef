'use client';

import Link from 'next/link';
import { memo } from 'react';
import type { VmView } from '@/trpc/types';
import { formatDateTime, formatMiB, formatPercent } from '../ui/format';
import { VmStatePill } from '../ui/status-pill';

export const VM_ROW_HEIGHT = 32;
export const VM_COLUMNS = [
  'Select',
  'Name',
  'State',
  'Host',
  'vCPU',
  'Memory',
  'Template',
  'Owner',
  'Lease',
  'CPU',
] as const;

const cell = 'h-8 border-b border-zinc-100 px-3 py-0 whitespace-nowrap';

interface VmRowProps {
  vm: VmView;
  selected: boolean;
  /** Checked for a bulk action. */
  checked: boolean;
  onSelect: (id: string) => void;
  onOpen: (id: string) => void;
  onCheck: (id: string) => void;
}

/** One VM line. Memoised: a live change to one VM re-renders only that VM's row. */
export const VmRow = memo(function VmRow({ vm, selected, checked, onSelect, onOpen, onCheck }: VmRowProps) {
  return (
    <tr
      data-testid="vm-row"
      data-name={vm.name}
      data-state={vm.state}
      data-vm-id={vm.id}
      aria-selected={selected}
      onClick={() => onSelect(vm.id)}
      onDoubleClick={() => onOpen(vm.id)}
      className={`cursor-default ${selected ? 'bg-sky-50 shadow-[inset_2px_0_0_var(--color-sky-600)]' : 'hover:bg-zinc-50'}`}
    >
      <td className={`${cell} w-8 pr-0`}>
        {/* Not a Tab stop (the name link is the row's); x checks the selected row. */}
        <input
          type="checkbox"
          tabIndex={-1}
          data-testid="vm-row-check"
          aria-label={`Select ${vm.name} for a bulk action`}
          checked={checked}
          onChange={() => onCheck(vm.id)}
          onClick={(e) => e.stopPropagation()}
          className="size-3.5 accent-sky-600"
        />
      </td>
      <td className={`${cell} max-w-72 truncate`}>
        {/* The row's one Tab stop: focusing it selects the row, Enter opens the VM. */}
        <Link
          href={`/vms/${vm.id}`}
          data-testid="vm-row-link"
          onFocus={() => onSelect(vm.id)}
          className="rounded-sm font-medium text-zinc-900 hover:text-teal-700 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600"
        >
          {vm.name}
        </Link>
        {vm.tags.slice(0, 3).map((t) => (
          <span
            key={t}
            data-testid="vm-row-tag"
            className="ml-1.5 rounded bg-zinc-100 px-1 font-mono text-[10px] text-zinc-600"
          >
            {t}
          </span>
        ))}
        {vm.tags.length > 3 && <span className="ml-1 text-[10px] text-zinc-500">{`+${vm.tags.length - 3}`}</span>}
      </td>
      <td className={cell}>
        <VmStatePill state={vm.state} reason={vm.stateReason} />
      </td>
      <td className={`${cell} max-w-48 truncate text-zinc-700`}>
        {vm.hostName ?? <span className="text-zinc-400">—</span>}
        {vm.hostStatus && vm.hostStatus !== 'online' && (
          <span className="ml-1.5 text-xs text-red-600">({vm.hostStatus})</span>
        )}
      </td>
      <td className={`${cell} text-right tabular-nums`}>{vm.vcpus}</td>
      <td className={`${cell} text-right tabular-nums`}>{formatMiB(vm.memoryMiB)}</td>
      <td className={`${cell} max-w-48 truncate text-zinc-700`}>{vm.templateName}</td>
      <td className={`${cell} text-zinc-700`}>{vm.ownerName}</td>
      <td className={`${cell} text-zinc-700 tabular-nums`} data-testid="vm-row-lease">
        <LeaseCell expiresAt={vm.leaseExpiresAt} />
      </td>
      <td className={`${cell} w-36`}>
        <CpuCell percent={vm.cpuUsagePercent} />
      </td>
    </tr>
  );
});

/** The lease's expiry as days/hours left ("3 d", "5 h", "expired"); the date on hover. */
function LeaseCell({ expiresAt }: { expiresAt: string | null }) {
  if (!expiresAt) return <span className="text-zinc-400">—</span>;
  const ms = Date.parse(expiresAt) - Date.now();
  const text =
    ms <= 0
      ? 'expired'
      : ms >= 86_400_000
        ? `${Math.floor(ms / 86_400_000)} d`
        : `${Math.max(1, Math.floor(ms / 3600_000))} h`;
  return (
    <span title={formatDateTime(expiresAt)} className={ms < 86_400_000 ? 'font-medium text-amber-700' : ''}>
      {text}
    </span>
  );
}

function CpuCell({ percent }: { percent: number | null }) {
  if (percent === null) return <span className="text-zinc-400">—</span>;
  const p = Math.max(0, Math.min(100, percent));
  return (
    <div className="flex items-center gap-2">
      <div className="h-1.5 w-14 overflow-hidden rounded-full bg-zinc-200">
        <div
          className={`h-full ${p >= 90 ? 'bg-red-500' : p >= 75 ? 'bg-amber-500' : 'bg-emerald-500'}`}
          style={{ width: `${p}%` }}
        />
      </div>
      <span className="text-xs text-zinc-600 tabular-nums">{formatPercent(percent)}</span>
    </div>
  );
}

/**
 * A row whose block is still being fetched: the same height, so the scrollbar never jumps. Not
 * animated: dozens of pulsing bars repaint every frame while a long list is flung through.
 */
export function VmRowPlaceholder() {
  return (
    <tr data-testid="vm-row-placeholder" aria-hidden>
      <td colSpan={VM_COLUMNS.length} className={cell}>
        <div className="h-2.5 w-48 rounded bg-zinc-100" />
      </td>
    </tr>
  );
}
