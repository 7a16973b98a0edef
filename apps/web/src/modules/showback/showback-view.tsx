'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { useSession } from '../auth/use-session';
import { LineChart } from '../stats/line-chart';
import { niceCeiling } from '../stats/stats-format';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatDateTime } from '../ui/format';
import { EmptyRow, PageHeader, td, th } from '../ui/page-header';
import { formatAmount, formatCost, formatHours as hours } from './showback-format';
import { ShowbackPrices } from './showback-prices';

type Report = RouterOutputs['showback']['report'];

const PERIODS = {
  day: { label: 'Day', ms: 86_400_000, step: 'hour' },
  week: { label: 'Week', ms: 7 * 86_400_000, step: 'hour' },
  month: { label: 'Month', ms: 30 * 86_400_000, step: 'day' },
} as const;
type Period = keyof typeof PERIODS;

const COLUMNS = ['Project', 'vCPU-hours', 'Memory GiB-hours', 'Disk GiB-hours', 'Cost'];

/**
 * Showback (issue 10): what each project used over the last day, week or month (vCPU-hours,
 * GiB-hours of memory and of disk), priced with the admins' prices, as a table, charts over time
 * and a CSV export. Admins see every project and the VMs outside any; project owners theirs.
 */
export function ShowbackView() {
  const trpc = useTRPC();
  const { user } = useSession();
  const [period, setPeriod] = useState<Period>('week');
  // The range is fixed when the period is chosen (and on Refresh), so the query key is stable.
  const [anchor, setAnchor] = useState(() => Date.now());
  const range = useMemo(() => {
    const p = PERIODS[period];
    return { from: new Date(anchor - p.ms).toISOString(), to: new Date(anchor).toISOString(), step: p.step };
  }, [period, anchor]);
  const report = useQuery({ ...trpc.showback.report.queryOptions(range), placeholderData: keepPreviousData });
  const r = report.data;
  const exportHref = `/api/showback/export.csv?${new URLSearchParams(range).toString()}`;

  return (
    <>
      <PageHeader
        title="Showback"
        meta={<span>Resource use per project, priced per unit-hour.</span>}
        actions={
          <>
            <fieldset className="flex overflow-hidden rounded-md border border-zinc-300" aria-label="Period">
              {(Object.keys(PERIODS) as Period[]).map((p) => (
                <button
                  key={p}
                  type="button"
                  aria-pressed={p === period}
                  data-testid={`showback-period-${p}`}
                  onClick={() => {
                    setPeriod(p);
                    setAnchor(Date.now());
                  }}
                  className={`h-7 border-l border-zinc-300 px-2.5 text-xs font-medium first:border-l-0 ${
                    p === period ? 'bg-zinc-800 text-white' : 'bg-white text-zinc-700 hover:bg-zinc-50'
                  }`}
                >
                  {PERIODS[p].label}
                </button>
              ))}
            </fieldset>
            <button type="button" className={btn.secondary} onClick={() => setAnchor(Date.now())}>
              Refresh
            </button>
            <a href={exportHref} download data-testid="showback-export" className={btn.secondary}>
              Export CSV
            </a>
          </>
        }
      />
      <div className="flex min-h-0 flex-1 flex-col gap-3 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <ErrorText error={report.error} />
        {r && (
          <p className="text-xs text-zinc-500">
            {formatDateTime(r.from)} – {formatDateTime(r.to)} · prices per hour: vCPU {r.prices.vcpuHour}, memory GiB{' '}
            {r.prices.memoryGiBHour}, disk GiB {r.prices.diskGiBHour} {r.prices.currency}
          </p>
        )}
        <section className="overflow-x-auto rounded-lg border border-zinc-200 bg-white shadow-xs">
          <table className="w-full border-separate border-spacing-0 text-sm" data-testid="showback-table">
            <thead>
              <tr>
                {COLUMNS.map((c, i) => (
                  <th key={c} className={`${th} ${i > 0 ? 'text-right' : ''}`}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {r?.rows.map((row) => (
                <tr key={row.projectId} data-testid="showback-row" data-project={row.projectName}>
                  <td
                    className={`${td} font-medium ${row.projectId === '' ? 'text-zinc-500 italic' : 'text-zinc-900'}`}
                  >
                    {row.projectName}
                  </td>
                  <td className={`${td} text-right tabular-nums`} data-testid="showback-vcpu">
                    {hours(row.vcpuHours)}
                  </td>
                  <td className={`${td} text-right tabular-nums`}>{hours(row.memoryGiBHours)}</td>
                  <td className={`${td} text-right tabular-nums`}>{hours(row.diskGiBHours)}</td>
                  <td className={`${td} text-right font-medium tabular-nums`} data-testid="showback-cost">
                    {formatCost(row.cost, r.prices.currency)}
                  </td>
                </tr>
              ))}
              {r && r.rows.length > 0 && (
                <tr className="bg-zinc-50 font-semibold">
                  <td className={td}>Total</td>
                  <td className={`${td} text-right tabular-nums`}>{hours(r.total.vcpuHours)}</td>
                  <td className={`${td} text-right tabular-nums`}>{hours(r.total.memoryGiBHours)}</td>
                  <td className={`${td} text-right tabular-nums`}>{hours(r.total.diskGiBHours)}</td>
                  <td className={`${td} text-right tabular-nums`} data-testid="showback-total">
                    {formatCost(r.total.cost, r.prices.currency)}
                  </td>
                </tr>
              )}
              {report.isPending && <EmptyRow colSpan={COLUMNS.length}>Loading…</EmptyRow>}
              {r && r.rows.length === 0 && (
                <EmptyRow colSpan={COLUMNS.length}>
                  {user?.role === 'admin' ? 'No usage metered in this period.' : 'No usage in the projects you own.'}
                </EmptyRow>
              )}
            </tbody>
          </table>
        </section>
        {r && r.series.length > 0 && <ShowbackCharts report={r} />}
        {user?.role === 'admin' && <ShowbackPrices />}
      </div>
    </>
  );
}

function ShowbackCharts({ report: r }: { report: Report }) {
  const times = r.series.map((p) => Date.parse(p.at));
  const stepMs = r.step === 'hour' ? 3600_000 : 86_400_000;
  const common = {
    times,
    from: times[0] ?? Date.parse(r.from),
    to: (times.at(-1) ?? Date.parse(r.to)) + stepMs,
    stepSeconds: stepMs / 1000,
  };
  const col = (f: 'vcpuHours' | 'memoryGiBHours' | 'diskGiBHours' | 'cost') => r.series.map((p) => p[f]);
  const max = (...fs: ('vcpuHours' | 'memoryGiBHours' | 'diskGiBHours' | 'cost')[]) =>
    niceCeiling(Math.max(0, ...r.series.flatMap((p) => fs.map((f) => p[f]))));
  const per = r.step === 'hour' ? 'per hour' : 'per day';
  return (
    <div className="grid grid-cols-1 gap-3 lg:grid-cols-2">
      <LineChart
        {...common}
        title={`Unit-hours ${per}`}
        testId="showback-chart-usage"
        yMax={max('vcpuHours', 'memoryGiBHours', 'diskGiBHours')}
        format={hours}
        series={[
          { label: 'vCPU', stroke: 'stroke-teal-600', swatch: 'bg-teal-600', values: col('vcpuHours') },
          { label: 'memory GiB', stroke: 'stroke-sky-600', swatch: 'bg-sky-600', values: col('memoryGiBHours') },
          { label: 'disk GiB', stroke: 'stroke-violet-600', swatch: 'bg-violet-600', values: col('diskGiBHours') },
        ]}
      />
      <LineChart
        {...common}
        title={`Cost ${per} (${r.prices.currency})`}
        testId="showback-chart-cost"
        yMax={max('cost')}
        format={formatAmount}
        series={[{ label: 'cost', stroke: 'stroke-amber-500', swatch: 'bg-amber-500', values: col('cost') }]}
      />
    </div>
  );
}
