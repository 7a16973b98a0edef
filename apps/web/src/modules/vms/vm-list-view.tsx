'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { BulkBar } from '../bulk/bulk-bar';
import { SavedSearches, useActiveSearch } from '../bulk/saved-searches';
import { useLiveStats } from '../live/live-provider';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { plural } from '../ui/format';
import { PlusIcon } from '../ui/icons';
import { EmptyRow, PageHeader } from '../ui/page-header';
import { useWindowedRows } from '../ui/use-windowed-rows';
import { useListKeys } from './use-list-keys';
import { useVmPages } from './use-vm-pages';
import { VmListFilters } from './vm-list-filters';
import { VmListHead } from './vm-list-head';
import { formatParams, listFilter, parseParams, type VmListParams } from './vm-list-params';
import { VM_COLUMNS, VM_ROW_HEIGHT, VmRow, VmRowPlaceholder } from './vm-row';

/** useSearchParams needs a Suspense boundary above it. */
export function VmListView() {
  return (
    <Suspense>
      <VmList />
    </Suspense>
  );
}

/** The filter and sort in the URL; changes replace the history entry (no back-button trail). */
function useListParams(): [VmListParams, (next: Partial<VmListParams>) => void] {
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const params = useMemo(() => parseParams(new URLSearchParams(search.toString())), [search]);
  const current = useRef(params);
  current.current = params;
  const update = useCallback(
    (next: Partial<VmListParams>) => {
      router.replace(`${pathname}${formatParams({ ...current.current, ...next })}`, { scroll: false });
    },
    [router, pathname],
  );
  return [params, update];
}

/** Selection by list position, remembering the VM so it can be found again after rows move. */
type Selection = { index: number; id: string | null };

function VmList() {
  const trpc = useTRPC();
  const router = useRouter();
  const [params, setParams] = useListParams();
  const filter = useMemo(() => listFilter(params), [params]);
  const filterKey = JSON.stringify(filter);
  const filterRef = useRef<HTMLInputElement>(null);

  // The whole inventory and how much of it runs: counts only (limit 0), whatever the filter.
  const all = useQuery(trpc.vm.list.queryOptions({ limit: 0 }));
  const running = useQuery(trpc.vm.list.queryOptions({ limit: 0, states: ['running'] }));

  const [count, setCount] = useState(0);
  const win = useWindowedRows(count, VM_ROW_HEIGHT);
  const pages = useVmPages(filter, win.start, win.end);
  useEffect(() => setCount(pages.total ?? 0), [pages.total]);

  const [selected, setSelected] = useState<Selection | null>(null);
  // VMs checked for a bulk action, by id.
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const { scrollToIndex, scrollRef } = win;
  const activeSearch = useActiveSearch(params);

  // A new filter or sort: back to the top, nothing selected or checked.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the filter changes
  useEffect(() => {
    setSelected(null);
    setChecked(new Set());
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
  }, [filterKey, scrollRef]);

  // Rows moved (a refetch) or the selected row arrived: keep the selection on its VM.
  useEffect(() => {
    setSelected((sel) => {
      if (!sel) return sel;
      const atIndex = pages.rows.get(sel.index);
      if (sel.id === null) return atIndex ? { index: sel.index, id: atIndex.id } : sel;
      if (atIndex?.id === sel.id) return sel;
      for (const [index, vm] of pages.rows) if (vm.id === sel.id) return { index, id: sel.id };
      return sel;
    });
  }, [pages.rows]);

  const open = useCallback((id: string) => router.push(`/vms/${id}`), [router]);
  const sortBy = useCallback(
    (sort: VmListParams['sort'], dir: VmListParams['dir']) => setParams({ sort, dir }),
    [setParams],
  );
  // Read through a ref so `select` keeps its identity and memoised rows skip re-rendering.
  const loaded = useRef(pages.rows);
  loaded.current = pages.rows;
  const select = useCallback((id: string) => {
    for (const [index, vm] of loaded.current) if (vm.id === id) return setSelected({ index, id });
  }, []);

  const check = useCallback((id: string) => {
    setChecked((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  }, []);
  // Memoised: the list re-renders on every scrolled frame, the header need not.
  const loadedIds = useMemo(() => [...pages.rows.values()].map((vm) => vm.id), [pages.rows]);
  const allChecked = loadedIds.length > 0 && loadedIds.every((id) => checked.has(id));
  const selectAll = useMemo(
    () => (
      <input
        type="checkbox"
        data-testid="vm-check-all"
        aria-label="Select all loaded VMs"
        checked={allChecked}
        onChange={() => setChecked(allChecked ? new Set() : new Set(loadedIds))}
        className="size-3.5 accent-sky-600"
      />
    ),
    [allChecked, loadedIds],
  );

  const move = useCallback(
    (delta: number) => {
      if (count === 0) return;
      const from = selected?.index ?? -1;
      const next = Math.max(0, Math.min(count - 1, from === -1 ? 0 : from + delta));
      setSelected({ index: next, id: pages.rows.get(next)?.id ?? null });
      scrollToIndex(next);
    },
    [count, selected, pages.rows, scrollToIndex],
  );

  useListKeys({
    filterRef,
    onMove: move,
    onOpen: () => {
      if (selected?.id) open(selected.id);
    },
    onToggle: () => {
      if (selected?.id) check(selected.id);
    },
  });

  const indexes = useMemo(() => {
    const out: number[] = [];
    for (let i = win.start; i < Math.min(win.end, count); i++) out.push(i);
    return out;
  }, [win.start, win.end, count]);
  // Only the rendered (windowed) rows stream CPU %: what is on screen.
  const visibleIds = indexes.flatMap((i) => pages.rows.get(i)?.id ?? []);
  useLiveStats(visibleIds);

  const filtered = Boolean(filter.name || filter.states || filter.hostId || filter.ownerId || filter.tag);
  const loading = pages.total === null && !pages.error;
  const error = pages.error ?? all.error;

  return (
    <>
      <PageHeader
        title="Virtual machines"
        meta={
          all.data && (
            <span data-testid="vm-count">
              {`${plural(all.data.total, 'VM')}${running.data ? ` · ${running.data.total} running` : ''}`}
            </span>
          )
        }
        actions={
          <>
            <VmListFilters params={params} onChange={setParams} filterRef={filterRef} />
            <SavedSearches params={params} onApply={setParams} />
            <Link href="/vms/new" data-testid="vm-new" className={btn.primary}>
              <PlusIcon />
              New VM
            </Link>
          </>
        }
      />
      {checked.size > 0 ? (
        <BulkBar
          target={{ vmIds: [...checked] }}
          label={`${checked.size} selected`}
          onClear={() => setChecked(new Set())}
        />
      ) : (
        activeSearch && (
          <BulkBar
            target={{ savedSearchId: activeSearch.id }}
            label={`All of “${activeSearch.name}”${pages.total !== null ? ` (${pages.total})` : ''}`}
          />
        )
      )}
      {error && (
        <div className="p-4">
          <ErrorText error={error} />
        </div>
      )}
      <div
        ref={win.scrollRef}
        // Strict containment: a scrolled frame lays out and paints this box alone.
        className="min-h-0 flex-1 overflow-auto [contain:strict]"
        data-testid="vm-table"
        data-total={pages.total ?? ''}
      >
        <table className="w-full border-separate border-spacing-0 text-sm">
          <VmListHead
            sort={params.sort}
            dir={params.dir}
            onSort={sortBy}
            headerRef={win.headerRef}
            selectAll={selectAll}
          />
          <tbody>
            {win.padTop > 0 && <tr aria-hidden style={{ height: win.padTop }} />}
            {indexes.map((i) => {
              const vm = pages.rows.get(i);
              return vm ? (
                <VmRow
                  key={vm.id}
                  vm={vm}
                  selected={selected?.index === i}
                  checked={checked.has(vm.id)}
                  onSelect={select}
                  onOpen={open}
                  onCheck={check}
                />
              ) : (
                <VmRowPlaceholder key={`i${i}`} />
              );
            })}
            {win.padBottom > 0 && <tr aria-hidden style={{ height: win.padBottom }} />}
            {loading && <EmptyRow colSpan={VM_COLUMNS.length}>Loading virtual machines…</EmptyRow>}
            {pages.total === 0 && (
              <EmptyRow colSpan={VM_COLUMNS.length}>
                {filtered ? 'No VM matches the filter.' : 'No virtual machines yet. Create one with “New VM”.'}
              </EmptyRow>
            )}
          </tbody>
        </table>
      </div>
      {/* Keyboard hints; a phone has no keyboard to speak of. */}
      <div className="hidden h-7 shrink-0 items-center gap-4 border-t border-zinc-200 bg-zinc-50 px-4 text-xs text-zinc-600 sm:flex">
        <span>
          <Kbd>j</Kbd>/<Kbd>k</Kbd> or <Kbd>↑</Kbd>/<Kbd>↓</Kbd> select
        </span>
        <span>
          <Kbd>Enter</Kbd> open
        </span>
        <span>
          <Kbd>x</Kbd> check for bulk actions
        </span>
        <span>
          <Kbd>/</Kbd> filter
        </span>
        {filtered && pages.total !== null && (
          <span className="ml-auto" data-testid="vm-shown">{`${pages.total} shown`}</span>
        )}
      </div>
    </>
  );
}

function Kbd({ children }: { children: string }) {
  return (
    <kbd className="rounded border border-zinc-300 bg-white px-1 font-mono text-[10px] text-zinc-600">{children}</kbd>
  );
}
