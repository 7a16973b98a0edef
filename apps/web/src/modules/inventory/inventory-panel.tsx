'use client';

import type { ReactNode } from 'react';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

/** The frame of the inventory's details panel: title, actions, facts, child lists. */
export function Empty({ children }: { children: ReactNode }) {
  return <p className="p-6 text-sm text-zinc-500">{children}</p>;
}

/** One of a panel's action buttons (they differ only in look, test id, label and what they open). */
export function PanelAction({
  look,
  testId,
  disabled,
  onClick,
  children,
}: {
  look: 'primary' | 'secondary' | 'danger';
  testId: string;
  disabled?: boolean;
  onClick: () => void;
  children: ReactNode;
}) {
  return (
    <button type="button" className={btn[look]} data-testid={testId} disabled={disabled} onClick={onClick}>
      {children}
    </button>
  );
}

export function Panel({
  kind,
  name,
  actions,
  error,
  children,
}: {
  kind: string;
  name: string;
  actions?: ReactNode;
  error?: unknown;
  children: ReactNode;
}) {
  return (
    <div className="space-y-4 p-4" data-testid="inventory-details" data-kind={kind.toLowerCase()} data-name={name}>
      <div className="flex flex-wrap items-center gap-3">
        <div>
          <div className="text-xs font-medium tracking-wide text-zinc-500 uppercase">{kind}</div>
          <h2 className="text-lg font-semibold text-zinc-900" data-testid="inventory-details-name">
            {name}
          </h2>
        </div>
        {actions && <div className="ml-auto flex flex-wrap gap-2">{actions}</div>}
      </div>
      <ErrorText error={error} testId="inventory-action-error" />
      {children}
    </div>
  );
}

export function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="grid grid-cols-[10rem_1fr] gap-x-4 gap-y-1.5 rounded-lg border border-zinc-200 bg-white p-3 text-sm shadow-xs">
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-zinc-500">{label}</dt>
          <dd className="min-w-0 text-zinc-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ChildTable({
  title,
  columns,
  children,
  empty,
}: {
  title: string;
  columns: string[];
  children: ReactNode[];
  empty: string;
}) {
  return (
    <section className="overflow-hidden rounded-lg border border-zinc-200 bg-white shadow-xs">
      <h3 className="border-b border-zinc-200 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        {title}
      </h3>
      <table className="w-full text-sm">
        <thead>
          <tr className="text-left text-xs text-zinc-500">
            {columns.map((c) => (
              <th key={c} className="px-3 py-1.5 font-medium">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {children}
          {children.length === 0 && (
            <tr>
              <td colSpan={columns.length} className="px-3 py-4 text-center text-zinc-500">
                {empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

export const vmCount = (t: { running: number; total: number } | undefined) =>
  `${t?.running ?? 0} running / ${t?.total ?? 0}`;
