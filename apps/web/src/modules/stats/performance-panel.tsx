'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { ErrorText } from '../ui/error-text';
import { LineChart } from './line-chart';
import { formatBinary, formatCpu, formatRate, niceBytesCeiling, niceCeiling } from './stats-format';

type History = RouterOutputs['vm']['statsHistory'];
type Point = History['points'][number];
const RANGES = ['1h', '24h', '7d', '30d'] as const;
type Range = (typeof RANGES)[number];
/** New 10 s buckets land every 10 s; a 5 min range gains a point only every 5 minutes. */
const REFETCH_MS: Record<Range, number> = { '1h': 10_000, '24h': 30_000, '7d': 300_000, '30d': 300_000 };

/**
 * "Performance": CPU, memory, disk and network charts of one VM or host over a chosen range,
 * refetched while the tab is visible (TanStack Query pauses the interval in the background).
 */
export function PerformancePanel(
  props:
    | { kind: 'vm'; vmId: string; memoryTotalBytes: number }
    | { kind: 'host'; hostId: string; memoryTotalBytes: number },
) {
  const trpc = useTRPC();
  const [range, setRange] = useState<Range>('1h');
  const refetchInterval = REFETCH_MS[range];
  const vmQuery = useQuery({
    ...trpc.vm.statsHistory.queryOptions({ vmId: props.kind === 'vm' ? props.vmId : '', range }, { refetchInterval }),
    enabled: props.kind === 'vm',
  });
  const hostQuery = useQuery({
    ...trpc.host.statsHistory.queryOptions(
      { hostId: props.kind === 'host' ? props.hostId : '', range },
      { refetchInterval },
    ),
    enabled: props.kind === 'host',
  });
  const query = props.kind === 'vm' ? vmQuery : hostQuery;
  const history = query.data;

  return (
    <section
      aria-label="Performance"
      data-testid="performance"
      className="rounded-lg border border-zinc-200 bg-white shadow-xs"
    >
      <div className="flex flex-wrap items-center gap-2 border-b border-zinc-100 px-3 py-2">
        <h2 className="text-xs font-semibold tracking-wide text-zinc-500 uppercase">Performance</h2>
        {history && (
          <span className="text-xs text-zinc-400">
            {history.stepSeconds < 60 ? `${history.stepSeconds} s` : `${history.stepSeconds / 60} min`} per point
          </span>
        )}
        <fieldset className="ml-auto flex overflow-hidden rounded-md border border-zinc-300 shadow-xs">
          <legend className="sr-only">Range</legend>
          {RANGES.map((r) => (
            <button
              key={r}
              type="button"
              aria-pressed={r === range}
              data-testid={`range-${r}`}
              onClick={() => setRange(r)}
              className={`h-7 border-l border-zinc-300 px-2.5 text-xs font-medium first:border-l-0 ${
                r === range ? 'bg-zinc-800 text-white' : 'bg-white text-zinc-700 hover:bg-zinc-50'
              }`}
            >
              {r}
            </button>
          ))}
        </fieldset>
      </div>
      <div className="p-3">
        {query.error && <ErrorText error={query.error} />}
        {!history && !query.error && <p className="text-xs text-zinc-500">Loading history…</p>}
        {history && <Charts history={history} memoryTotalBytes={props.memoryTotalBytes} />}
      </div>
    </section>
  );
}

function Charts({ history, memoryTotalBytes }: { history: History; memoryTotalBytes: number }) {
  const { points, from, to, stepSeconds } = history;
  const times = points.map((p) => p.t);
  const col = (f: keyof Omit<Point, 't'>) => points.map((p) => p[f]);
  const maxOf = (...fields: (keyof Omit<Point, 't'>)[]) =>
    Math.max(0, ...points.flatMap((p) => fields.map((f) => p[f] ?? 0)));
  const common = { times, from, to, stepSeconds };
  // A VM's CPU % counts one vCPU as 100, so a busy 2-vCPU guest reaches 200.
  const cpuMax = Math.max(100, niceCeiling(maxOf('cpuPercent')));
  // Up to the host's (or VM's configured) memory; a VM's QEMU process can use more than it has.
  const memUsedMax = maxOf('memoryUsedBytes');
  const memMax = memoryTotalBytes >= memUsedMax ? memoryTotalBytes : niceBytesCeiling(memUsedMax);
  return (
    <div className="grid grid-cols-1 gap-3 md:grid-cols-2">
      <LineChart
        {...common}
        title="CPU"
        testId="chart-cpu"
        yMax={cpuMax}
        format={formatCpu}
        series={[{ label: 'used', stroke: 'stroke-teal-600', swatch: 'bg-teal-600', values: col('cpuPercent') }]}
      />
      <LineChart
        {...common}
        title="Memory"
        testId="chart-memory"
        yMax={memMax}
        format={formatBinary}
        series={[{ label: 'used', stroke: 'stroke-sky-600', swatch: 'bg-sky-600', values: col('memoryUsedBytes') }]}
      />
      <LineChart
        {...common}
        title="Disk I/O"
        testId="chart-disk"
        yMax={niceBytesCeiling(maxOf('diskReadBps', 'diskWriteBps'))}
        format={formatRate}
        series={[
          { label: 'read', stroke: 'stroke-violet-600', swatch: 'bg-violet-600', values: col('diskReadBps') },
          { label: 'write', stroke: 'stroke-amber-500', swatch: 'bg-amber-500', values: col('diskWriteBps') },
        ]}
      />
      <LineChart
        {...common}
        title="Network"
        testId="chart-network"
        yMax={niceBytesCeiling(maxOf('netRxBps', 'netTxBps'))}
        format={formatRate}
        series={[
          { label: 'received', stroke: 'stroke-emerald-600', swatch: 'bg-emerald-600', values: col('netRxBps') },
          { label: 'sent', stroke: 'stroke-rose-500', swatch: 'bg-rose-500', values: col('netTxBps') },
        ]}
      />
    </div>
  );
}
