'use client';

import { useQueries } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs, VmView } from '@/trpc/types';
import type { listFilter } from './vm-list-params';

/** Rows per `vm.list` request: a block covers ~3 screens, so a resting view needs one or two. */
export const VM_PAGE_SIZE = 100;
/** Blocks are fetched once scrolling rests this long; cached blocks show at once regardless. */
const SETTLE_MS = 120;
/** Blocks scrolled away are dropped soon: fewer rows held, and fewer for live changes to patch. */
const BLOCK_GC_MS = 30_000;

type Filter = ReturnType<typeof listFilter>;
type VmPage = RouterOutputs['vm']['list'];

function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * The VM list as the server pages it: the blocks of VM_PAGE_SIZE rows under the window
 * [start, end) are requested (offset/limit, filter and sort done by the database); rows not
 * loaded yet are undefined, and `total` is the server's count for the filter. Live changes
 * patch these blocks in the query cache (live/vm-list-cache.ts).
 */
export function useVmPages(filter: Filter, start: number, end: number) {
  const trpc = useTRPC();
  const first = Math.floor(start / VM_PAGE_SIZE);
  const last = Math.max(first, Math.floor(Math.max(0, end - 1) / VM_PAGE_SIZE));
  const range = `${first}:${last}`;
  const fetchNow = useSettled(range, SETTLE_MS) === range;

  const combine = useCallback(
    (results: { data?: VmPage; dataUpdatedAt: number; error: unknown }[]) => {
      const rows = new Map<number, VmView>();
      let latest: { total: number; at: number } | null = null;
      for (const [i, block] of results.entries()) {
        if (!block.data) continue;
        for (const [j, vm] of block.data.rows.entries()) rows.set((first + i) * VM_PAGE_SIZE + j, vm);
        if (!latest || block.dataUpdatedAt > latest.at) latest = { total: block.data.total, at: block.dataUpdatedAt };
      }
      return {
        rows,
        latest: latest as { total: number; at: number } | null,
        error: results.find((b) => b.error)?.error ?? null,
      };
    },
    [first],
  );
  const { rows, latest, error } = useQueries({
    queries: Array.from({ length: last - first + 1 }, (_, i) =>
      trpc.vm.list.queryOptions(
        { ...filter, offset: (first + i) * VM_PAGE_SIZE, limit: VM_PAGE_SIZE },
        { enabled: fetchNow, gcTime: BLOCK_GC_MS },
      ),
    ),
    combine,
  });

  // The newest answer's total, kept while scrolling (blocks come and go) but not across filters.
  const filterKey = JSON.stringify(filter);
  const known = useRef<{ key: string; total: number; at: number } | null>(null);
  if (latest && (known.current?.key !== filterKey || latest.at > known.current.at)) {
    known.current = { key: filterKey, ...latest };
  }
  const total = known.current?.key === filterKey ? known.current.total : null;

  /** Rows of the loaded blocks by list index; `total` is null until the first block arrives. */
  return { rows, total, error };
}
