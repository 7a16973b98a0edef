'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { useLiveStats } from '../live/live-provider';
import { btn, inputBase } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { plural } from '../ui/format';
import { PlusIcon, SearchIcon } from '../ui/icons';
import { EmptyRow, PageHeader, th } from '../ui/page-header';
import { useWindowedRows } from '../ui/use-windowed-rows';
import { VM_COLUMNS, VM_ROW_HEIGHT, VmRow } from './vm-row';
import { useListKeys } from './use-list-keys';

const RIGHT_ALIGNED = new Set<string>(['vCPU', 'Memory']);

export function VmListView() {
  const trpc = useTRPC();
  const router = useRouter();
  const vms = useQuery(trpc.vm.list.queryOptions());
  const [filter, setFilter] = useState('');
  const deferredFilter = useDeferredValue(filter);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const filterRef = useRef<HTMLInputElement>(null);

  const rows = useMemo(() => {
    const needle = deferredFilter.trim().toLowerCase();
    const list = vms.data ?? [];
    const matching = needle ? list.filter((vm) => vm.name.toLowerCase().includes(needle)) : list;
    return [...matching].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  }, [vms.data, deferredFilter]);

  const running = useMemo(() => (vms.data ?? []).filter((vm) => vm.state === 'running').length, [vms.data]);
  const win = useWindowedRows(rows.length, VM_ROW_HEIGHT);
  const selectedIndex = selectedId ? rows.findIndex((vm) => vm.id === selectedId) : -1;

  const open = useCallback((id: string) => router.push(`/vms/${id}`), [router]);
  const select = useCallback((id: string) => setSelectedId(id), []);

  const { scrollToIndex } = win;
  const move = useCallback(
    (delta: number) => {
      if (rows.length === 0) return;
      const next = Math.max(0, Math.min(rows.length - 1, selectedIndex === -1 ? 0 : selectedIndex + delta));
      const vm = rows[next];
      if (!vm) return;
      setSelectedId(vm.id);
      scrollToIndex(next);
    },
    [rows, selectedIndex, scrollToIndex],
  );

  useListKeys({
    filterRef,
    onMove: move,
    onOpen: () => {
      const vm = selectedIndex >= 0 ? rows[selectedIndex] : undefined;
      if (vm) open(vm.id);
    },
  });

  // Keep the selection on screen when filtering changes the rows under it.
  useEffect(() => {
    if (selectedIndex >= 0) scrollToIndex(selectedIndex);
  }, [selectedIndex, scrollToIndex]);

  const visible = rows.slice(win.start, win.end);
  // Only the rendered (windowed) rows stream CPU %: what is on screen.
  useLiveStats(visible.map((vm) => vm.id));

  return (
    <>
      <PageHeader
        title="Virtual machines"
        meta={vms.data && <span data-testid="vm-count">{`${plural(vms.data.length, 'VM')} · ${running} running`}</span>}
        actions={
          <>
            <div className="relative w-full min-w-0 flex-1 sm:w-64 sm:flex-none">
              <span className="pointer-events-none absolute top-1/2 left-2 -translate-y-1/2 text-zinc-400">
                <SearchIcon />
              </span>
              <input
                ref={filterRef}
                data-testid="vm-filter"
                type="search"
                placeholder="Filter by name   ( / )"
                aria-label="Filter virtual machines by name"
                className={`${inputBase} h-7 pl-7`}
                value={filter}
                onChange={(e) => setFilter(e.target.value)}
              />
            </div>
            <Link href="/vms/new" data-testid="vm-new" className={btn.primary}>
              <PlusIcon />
              New VM
            </Link>
          </>
        }
      />
      {vms.error && (
        <div className="p-4">
          <ErrorText error={vms.error} />
        </div>
      )}
      <div ref={win.scrollRef} className="min-h-0 flex-1 overflow-auto" data-testid="vm-table">
        <table className="w-full border-separate border-spacing-0 text-sm">
          <thead ref={win.headerRef}>
            <tr>
              {VM_COLUMNS.map((c) => (
                <th key={c} className={`${th} ${RIGHT_ALIGNED.has(c) ? 'text-right' : ''}`}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {win.padTop > 0 && <tr aria-hidden style={{ height: win.padTop }} />}
            {visible.map((vm) => (
              <VmRow key={vm.id} vm={vm} selected={vm.id === selectedId} onSelect={select} onOpen={open} />
            ))}
            {win.padBottom > 0 && <tr aria-hidden style={{ height: win.padBottom }} />}
            {vms.isPending && <EmptyRow colSpan={VM_COLUMNS.length}>Loading virtual machines…</EmptyRow>}
            {vms.data && rows.length === 0 && (
              <EmptyRow colSpan={VM_COLUMNS.length}>
                {vms.data.length === 0
                  ? 'No virtual machines yet. Create one with “New VM”.'
                  : 'No VM name matches the filter.'}
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
          <Kbd>/</Kbd> filter
        </span>
        {rows.length !== (vms.data?.length ?? 0) && <span className="ml-auto">{`${rows.length} shown`}</span>}
      </div>
    </>
  );
}

function Kbd({ children }: { children: string }) {
  return (
    <kbd className="rounded border border-zinc-300 bg-white px-1 font-mono text-[10px] text-zinc-600">{children}</kbd>
  );
}
