'use client';

import { memo, type ReactNode, type RefObject } from 'react';
import { th } from '../ui/page-header';
import type { SortDir, VmSortKey } from './vm-list-params';
import { VM_COLUMNS } from './vm-row';

/** Columns the database sorts by; the others (template, owner, CPU %) are not sortable. */
const SORT_FOR: Partial<Record<(typeof VM_COLUMNS)[number], VmSortKey>> = {
  Name: 'name',
  State: 'state',
  Host: 'host',
  vCPU: 'vcpus',
  Memory: 'memory',
  Lease: 'lease',
};
const RIGHT_ALIGNED = new Set<string>(['vCPU', 'Memory']);

interface HeadProps {
  sort: VmSortKey;
  dir: SortDir;
  onSort: (sort: VmSortKey, dir: SortDir) => void;
  headerRef: RefObject<HTMLTableSectionElement | null>;
  /** The header of the checkbox column (check all loaded rows). */
  selectAll: ReactNode;
}

/** Sortable column headers: a click sorts by the column, a second click reverses it. */
export const VmListHead = memo(function VmListHead({ sort, dir, onSort, headerRef, selectAll }: HeadProps) {
  return (
    <thead ref={headerRef}>
      <tr>
        {VM_COLUMNS.map((c) => {
          const key = SORT_FOR[c];
          const align = RIGHT_ALIGNED.has(c) ? 'text-right' : '';
          if (c === 'Select') {
            return (
              <th key={c} className={`${th} w-8 pr-0`}>
                {selectAll}
              </th>
            );
          }
          if (!key) {
            return (
              <th key={c} className={`${th} ${align}`}>
                {c}
              </th>
            );
          }
          const active = key === sort;
          return (
            <th
              key={c}
              className={`${th} ${align}`}
              aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}
            >
              <button
                type="button"
                data-testid={`vm-sort-${key}`}
                className={`inline-flex cursor-pointer items-center gap-1 uppercase hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-600 ${
                  active ? 'text-zinc-900' : ''
                }`}
                onClick={() => onSort(key, active && dir === 'asc' ? 'desc' : 'asc')}
              >
                {c}
                <span aria-hidden className={active ? 'text-zinc-700' : 'text-transparent'}>
                  {active && dir === 'desc' ? '▼' : '▲'}
                </span>
              </button>
            </th>
          );
        })}
      </tr>
    </thead>
  );
});
