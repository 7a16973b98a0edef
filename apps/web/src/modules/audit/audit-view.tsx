'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatDateTime, plural } from '../ui/format';
import { EmptyRow, PageHeader, td, th } from '../ui/page-header';
import { type AuditFilterValues, AuditFilters, filterParams, NO_FILTER } from './audit-filters';

type Entry = RouterOutputs['audit']['search']['entries'][number];
type Cursor = { at: string; id: string };

const PAGE = 100;
const COLUMNS = ['Time', 'User', 'Via', 'Action', 'Object', 'Address', 'Result', 'ms'];

/**
 * The audit log: every state-changing request, newest first, filtered on the server and paged
 * by cursor. A row opens (Enter or click) to show the message and the recorded input.
 */
export function AuditView() {
  const trpc = useTRPC();
  const [filter, setFilter] = useState<AuditFilterValues>(NO_FILTER);
  // Cursors of the pages before this one: Older pushes, Newer pops.
  const [cursors, setCursors] = useState<Cursor[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const params = filterParams(filter);
  const page = useQuery({
    ...trpc.audit.search.queryOptions({ ...params, limit: PAGE, before: cursors.at(-1) }),
    placeholderData: keepPreviousData,
  });
  const entries = page.data?.entries ?? [];
  const exportHref = `/api/audit/export.csv?${new URLSearchParams(params).toString()}`;

  return (
    <>
      <PageHeader
        title="Audit log"
        meta={<span>Every change made through Vireo: who, what, from where, and how it ended.</span>}
        actions={
          <a href={exportHref} download data-testid="audit-export" className={btn.secondary}>
            Export CSV
          </a>
        }
      />
      <div className="flex min-h-0 flex-1 flex-col gap-3 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <AuditFilters
          value={filter}
          onApply={(f) => {
            setFilter(f);
            setCursors([]);
            setOpen(null);
          }}
        />
        <ErrorText error={page.error} />
        <section className="overflow-x-auto rounded-lg border border-zinc-200 bg-white shadow-xs">
          <table className="w-full border-separate border-spacing-0 text-sm" data-testid="audit-table">
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th key={c} className={`${th} ${c === 'ms' ? 'text-right' : ''}`}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <AuditRow
                  key={e.id}
                  entry={e}
                  open={open === e.id}
                  onToggle={() => setOpen(open === e.id ? null : e.id)}
                />
              ))}
              {page.isPending && <EmptyRow colSpan={COLUMNS.length}>Loading…</EmptyRow>}
              {page.data && entries.length === 0 && <EmptyRow colSpan={COLUMNS.length}>No entries match.</EmptyRow>}
            </tbody>
          </table>
        </section>
        <div className="flex items-center gap-2 text-sm text-zinc-600">
          <button
            type="button"
            className={btn.secondary}
            disabled={cursors.length === 0}
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            ← Newer
          </button>
          <button
            type="button"
            data-testid="audit-older"
            className={btn.secondary}
            disabled={!page.data?.next}
            onClick={() => page.data?.next && setCursors([...cursors, page.data.next])}
          >
            Older →
          </button>
          <span className="tabular-nums">
            {entries.length > 0 && `Page ${cursors.length + 1} · ${plural(entries.length, 'entry', 'entries')}`}
          </span>
        </div>
      </div>
    </>
  );
}

function AuditRow({ entry: e, open, onToggle }: { entry: Entry; open: boolean; onToggle: () => void }) {
  const object = e.objectName ?? e.objectId;
  return (
    <Fragment>
      <tr
        data-testid="audit-row"
        data-action={e.action}
        data-result={e.ok ? 'ok' : 'failed'}
        tabIndex={0}
        aria-expanded={open}
        onClick={onToggle}
        onKeyDown={(k) => {
          if (k.key === 'Enter' || k.key === ' ') {
            k.preventDefault();
            onToggle();
          }
        }}
        className={`cursor-pointer focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-sky-600 ${open ? 'bg-zinc-50' : 'hover:bg-zinc-50'}`}
      >
        <td className={`${td} tabular-nums text-zinc-600`}>{formatDateTime(e.at)}</td>
        <td className={`${td} font-medium text-zinc-900`}>
          {e.username ?? <span className="text-zinc-400">anonymous</span>}
        </td>
        <td className={`${td} text-xs text-zinc-600`}>{e.authKind === 'token' ? 'API token' : (e.authKind ?? '—')}</td>
        <td className={`${td} font-mono text-xs text-zinc-900`}>{e.action}</td>
        <td className={`${td} max-w-64 truncate`} title={e.objectId ?? undefined}>
          {object ? (
            <>
              <span className="text-xs text-zinc-500">{e.objectType} </span>
              {object}
            </>
          ) : (
            <span className="text-zinc-400">—</span>
          )}
        </td>
        <td className={`${td} font-mono text-xs text-zinc-600`}>{e.address}</td>
        <td className={td} data-testid="audit-result">
          {e.ok ? (
            <span className="text-xs font-medium text-emerald-700">OK</span>
          ) : (
            <span
              className="rounded bg-red-50 px-1.5 py-px text-xs font-medium text-red-800 ring-1 ring-red-700/20 ring-inset"
              title={e.message ?? undefined}
            >
              {e.errorCode ?? 'failed'}
            </span>
          )}
        </td>
        <td className={`${td} text-right tabular-nums text-zinc-600`}>{e.durationMs}</td>
      </tr>
      {open && (
        <tr data-testid="audit-detail">
          <td colSpan={COLUMNS.length} className="border-b border-zinc-200 bg-zinc-50 px-3 py-2">
            <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 text-xs">
              {e.message && (
                <>
                  <dt className="text-zinc-500">Message</dt>
                  <dd className="text-zinc-900">{e.message}</dd>
                </>
              )}
              <dt className="text-zinc-500">Object id</dt>
              <dd className="font-mono text-zinc-900">{e.objectId ?? '—'}</dd>
              {e.tokenId && (
                <>
                  <dt className="text-zinc-500">Token</dt>
                  <dd className="font-mono break-all text-zinc-900">{e.tokenId.slice(0, 16)}…</dd>
                </>
              )}
              <dt className="text-zinc-500">Input</dt>
              <dd className="font-mono break-all whitespace-pre-wrap text-zinc-900">{e.input ?? '—'}</dd>
            </dl>
          </td>
        </tr>
      )}
    </Fragment>
  );
}
