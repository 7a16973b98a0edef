'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { useTRPC } from '@/trpc/client';
import type { AlertView } from '@/trpc/types';
import { ErrorText } from '../ui/error-text';
import { formatAgo, formatDateTime } from '../ui/format';
import { EmptyRow, PageHeader, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { Pill } from '../ui/status-pill';
import { useNow } from '../ui/use-now';
import { AlertRules } from './alert-rules';

const td = `${tdBase} ${stacked.td}`;

/** The alerts page: what fires now, what fired lately, and the rules (kept live by the change stream). */
export function AlertsView() {
  const trpc = useTRPC();
  const list = useQuery(trpc.alert.list.queryOptions());
  const firing = list.data?.filter((a) => a.state === 'firing') ?? [];
  const resolved = list.data?.filter((a) => a.state === 'resolved') ?? [];
  return (
    <>
      <PageHeader
        title="Alerts"
        meta={
          list.data && (
            <span data-testid="alerts-firing-count">
              {firing.length === 0 ? 'nothing firing' : `${firing.length} firing`}
            </span>
          )
        }
      />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <div className="space-y-4">
          {list.error && <ErrorText error={list.error} />}
          <Section title="Firing" testId="alerts-firing">
            <AlertTable alerts={firing} pending={list.isPending} empty="No alert is firing." />
          </Section>
          <Section title="Recently resolved" testId="alerts-resolved">
            <AlertTable alerts={resolved} pending={list.isPending} empty="Nothing resolved yet." />
          </Section>
          <AlertRules />
        </div>
      </div>
    </>
  );
}

export function Section({ title, testId, children }: { title: string; testId?: string; children: ReactNode }) {
  return (
    <section data-testid={testId} className="overflow-hidden rounded-lg border border-zinc-200 bg-white shadow-xs">
      <h2 className="border-b border-zinc-200 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        {title}
      </h2>
      <div className="overflow-auto sm:max-h-[24rem]">{children}</div>
    </section>
  );
}

const COLUMNS = ['State', 'Object', 'Rule', 'What', 'Fired', 'Resolved'];

function AlertTable({ alerts, pending, empty }: { alerts: AlertView[]; pending: boolean; empty: string }) {
  const now = useNow(5_000);
  return (
    <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
      <TableHead columns={COLUMNS} className={stacked.thead} />
      <tbody className={stacked.tbody}>
        {alerts.map((a) => (
          <tr key={a.id} data-testid="alert-row" data-state={a.state} data-rule={a.ruleId} className={stacked.tr}>
            <td className={td} data-label="State">
              {a.state === 'firing' ? <Pill tone="red" label="firing" /> : <Pill tone="grey" label="resolved" />}
            </td>
            <td className={td} data-label="Object">
              <ObjectLink alert={a} />
            </td>
            <td className={`${td} text-zinc-700`} data-label="Rule">
              {a.ruleName}
            </td>
            <td className={`${td} whitespace-normal text-zinc-700`} data-label="What">
              {a.message}
            </td>
            <td className={`${td} text-zinc-600`} data-label="Fired" title={formatDateTime(a.firedAt)}>
              {formatAgo(a.firedAt, now)}
            </td>
            <td className={`${td} text-zinc-600`} data-label="Resolved" title={formatDateTime(a.resolvedAt)}>
              {a.resolvedAt ? formatAgo(a.resolvedAt, now) : '—'}
            </td>
          </tr>
        ))}
        {pending && <EmptyRow colSpan={COLUMNS.length}>Loading alerts…</EmptyRow>}
        {!pending && alerts.length === 0 && <EmptyRow colSpan={COLUMNS.length}>{empty}</EmptyRow>}
      </tbody>
    </table>
  );
}

function ObjectLink({ alert }: { alert: AlertView }) {
  const label = `${alert.objectType === 'host' ? 'Host' : 'VM'} ${alert.objectName}`;
  if (alert.objectType === 'vm')
    return (
      <Link href={`/vms/${alert.objectId}`} className="font-medium text-teal-800 hover:underline">
        {label}
      </Link>
    );
  return (
    <Link href="/hosts" className="font-medium text-teal-800 hover:underline">
      {label}
    </Link>
  );
}

/** Firing alerts, for the navigation's badge (admins only: the API refuses anyone else). */
export function useFiringAlertCount(enabled: boolean): number {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.alert.list.queryOptions(), enabled });
  return list.data?.filter((a) => a.state === 'firing').length ?? 0;
}
