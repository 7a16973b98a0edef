import type { ReactNode } from 'react';

export function PageHeader({ title, meta, actions }: { title: ReactNode; meta?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="flex min-h-12 flex-wrap items-center gap-x-4 gap-y-2 border-b border-zinc-200 bg-white px-4 py-2">
      <h1 className="text-base font-semibold text-zinc-900">{title}</h1>
      {meta && <div className="flex items-center gap-3 text-sm text-zinc-500">{meta}</div>}
      {/* On a phone the actions get a line of their own, so none is pushed off screen. */}
      {actions && <div className="flex w-full items-center gap-2 sm:ml-auto sm:w-auto">{actions}</div>}
    </div>
  );
}

/** Table cell classes shared by every list, so columns line up the same way everywhere. */
export const th =
  'sticky top-0 z-10 border-b border-zinc-200 bg-zinc-50 px-3 py-1.5 text-left text-xs font-medium tracking-wide text-zinc-600 uppercase whitespace-nowrap';
export const td = 'border-b border-zinc-100 px-3 py-1.5 whitespace-nowrap';

export function EmptyRow({ colSpan, children }: { colSpan: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={colSpan} className="px-3 py-8 text-center text-sm text-zinc-500">
        {children}
      </td>
    </tr>
  );
}

/**
 * A table that becomes stacked cards below the `sm` breakpoint (phones): each row a card, each
 * cell a "label  value" line (the label comes from the cell's data-label). For tables whose key
 * columns would otherwise sit off screen; the VM list keeps scrolling sideways instead (its rows
 * are windowed at a fixed height).
 */
export const stacked = {
  table: 'max-sm:block',
  thead: 'max-sm:hidden',
  tbody: 'max-sm:block',
  tr: 'max-sm:block max-sm:border-b max-sm:border-zinc-200 max-sm:px-3 max-sm:py-2',
  td:
    'max-sm:flex max-sm:min-w-0 max-sm:max-w-none max-sm:items-baseline max-sm:gap-3 max-sm:border-0 max-sm:px-0 ' +
    'max-sm:py-0.5 max-sm:whitespace-normal max-sm:before:w-20 max-sm:before:shrink-0 max-sm:before:text-xs ' +
    'max-sm:before:text-zinc-600 max-sm:before:content-[attr(data-label)]',
};

/** A list's sticky header row. */
export function TableHead({ columns, className = '' }: { columns: readonly string[]; className?: string }) {
  return (
    <thead className={className}>
      <tr>
        {columns.map((c) => (
          <th key={c} className={th}>
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}
