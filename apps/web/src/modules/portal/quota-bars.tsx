'use client';

import type { RouterOutputs } from '@/trpc/types';
import { formatMiB } from '../ui/format';

type PortalProject = RouterOutputs['portal']['overview']['projects'][number];
type Kind = keyof PortalProject['quota'];

const ROWS: { kind: Kind; label: string; show: (n: number) => string }[] = [
  { kind: 'Vms', label: 'VMs', show: (n) => String(n) },
  { kind: 'Vcpus', label: 'vCPUs', show: (n) => String(n) },
  { kind: 'MemoryMiB', label: 'Memory', show: (n) => formatMiB(n) },
  { kind: 'DiskGiB', label: 'Disk', show: (n) => `${n} GiB` },
  { kind: 'Snapshots', label: 'Snapshots', show: (n) => String(n) },
];

/**
 * A project's use against its quota, one bar per kind; `adding` draws what a new VM would take
 * on top (hatched), red when it would go over. A kind without a limit says so.
 */
export function QuotaBars({
  project,
  adding,
}: {
  project: Pick<PortalProject, 'quota' | 'used'>;
  adding?: Partial<Record<Kind, number>>;
}) {
  return (
    <dl className="grid grid-cols-[auto_1fr_auto] items-center gap-x-3 gap-y-1.5 text-xs" data-testid="quota-bars">
      {ROWS.map(({ kind, label, show }) => {
        const limit = project.quota[kind];
        const used = project.used[kind];
        const add = adding?.[kind] ?? 0;
        const over = limit !== null && used + add > limit;
        const usedPct = limit ? Math.min(100, (used / limit) * 100) : 0;
        const addPct = limit ? Math.min(100 - usedPct, (add / limit) * 100) : 0;
        return (
          <div key={kind} className="contents" data-testid={`quota-${kind}`} data-over={over || undefined}>
            <dt className="text-zinc-600">{label}</dt>
            <dd className="h-2 min-w-24 overflow-hidden rounded-full bg-zinc-200">
              {limit !== null && (
                <div className="flex h-full">
                  <div
                    className={`h-full ${usedPct >= 90 ? 'bg-amber-500' : 'bg-teal-600'}`}
                    style={{ width: `${usedPct}%` }}
                  />
                  {add > 0 && (
                    <div className={`h-full ${over ? 'bg-red-500' : 'bg-teal-300'}`} style={{ width: `${addPct}%` }} />
                  )}
                </div>
              )}
            </dd>
            <dd
              className={`text-right whitespace-nowrap tabular-nums ${over ? 'font-semibold text-red-700' : 'text-zinc-700'}`}
            >
              {limit === null
                ? `${show(used + add)} · no limit`
                : `${show(used + add)} of ${show(limit)}${add > 0 ? ` (+${show(add)})` : ''}`}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
