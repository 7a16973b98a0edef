'use client';

import { useQueries } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type KeyboardEvent, useEffect, useMemo, useRef } from 'react';
import { useTRPC } from '@/trpc/client';
import { MaintenanceBadge } from '../hosts/maintenance';
import { keyMove, parseKey, type TreeData, type TreeRow, type VmLeaf, visibleRows } from './tree-model';

const STATUS_DOT: Record<string, string> = {
  online: 'bg-emerald-500',
  offline: 'bg-red-500',
  enrolling: 'bg-sky-500',
  running: 'bg-emerald-500',
  paused: 'bg-amber-500',
  crashed: 'bg-red-500',
};

const KIND_LABEL = { datacenter: 'Datacenter', cluster: 'Cluster', host: 'Host', vm: 'VM' } as const;

/**
 * The navigation tree (WAI-ARIA tree: one tab stop, the focused row is the selected one, arrows
 * and Enter as in a file manager). A host's VMs are fetched when it is expanded, so the tree
 * stays quick with thousands of VMs: the rest of it carries counts only.
 */
export function InventoryTree({
  data,
  expanded,
  selected,
  onExpandedChange,
  onSelect,
}: {
  data: TreeData;
  expanded: ReadonlySet<string>;
  selected: string | null;
  onExpandedChange: (next: Set<string>) => void;
  onSelect: (key: string) => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const openHosts = useMemo(
    () => [...expanded].map(parseKey).flatMap((k) => (k?.kind === 'host' ? [k.id] : [])),
    [expanded],
  );
  const leafQueries = useQueries({
    queries: openHosts.map((hostId) => trpc.inventory.hostVms.queryOptions({ hostId })),
  });
  const leaves = useMemo(() => {
    const map = new Map<string, VmLeaf[] | undefined>();
    for (const [i, id] of openHosts.entries()) map.set(id, leafQueries[i]?.data);
    return map;
  }, [openHosts, leafQueries]);
  const rows = useMemo(() => visibleRows(data, expanded, leaves), [data, expanded, leaves]);
  const listRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!selected) return;
    listRef.current?.querySelector(`[data-key="${CSS.escape(selected)}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const setOpen = (key: string, open: boolean) => {
    const next = new Set(expanded);
    if (open) next.add(key);
    else next.delete(key);
    onExpandedChange(next);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const current = rows.find((r) => r.key === selected);
    if (e.key === 'Enter' && current?.kind === 'vm') {
      e.preventDefault();
      router.push(`/vms/${current.id}`);
      return;
    }
    const move = keyMove(rows, selected, e.key);
    if (!move) return;
    e.preventDefault();
    if (move.type === 'focus') onSelect(move.key);
    else if (move.type === 'expand') setOpen(move.key, true);
    else if (move.type === 'collapse') setOpen(move.key, false);
    else setOpen(move.key, !expanded.has(move.key));
  };

  return (
    <div
      ref={listRef}
      role="tree"
      aria-label="Inventory"
      tabIndex={0}
      data-testid="inventory-tree"
      aria-activedescendant={selected ? rowId(selected) : undefined}
      onKeyDown={onKeyDown}
      className="min-h-0 flex-1 overflow-auto py-1 text-sm outline-none focus-visible:ring-2 focus-visible:ring-sky-600/30 focus-visible:ring-inset"
    >
      {rows.map((row) => (
        <TreeItem
          key={row.key}
          row={row}
          selected={row.key === selected}
          onSelect={() => onSelect(row.key)}
          onToggle={() => setOpen(row.key, !row.expanded)}
        />
      ))}
      {rows.length === 0 && <p className="px-3 py-6 text-center text-zinc-500">No datacenters yet.</p>}
    </div>
  );
}

function rowId(key: string): string {
  return `inv-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

function TreeItem({
  row,
  selected,
  onSelect,
  onToggle,
}: {
  row: TreeRow;
  selected: boolean;
  onSelect: () => void;
  onToggle: () => void;
}) {
  const dot = row.kind === 'host' ? row.status : row.kind === 'vm' ? row.state : undefined;
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: keys are handled by the tree, which holds focus (aria-activedescendant)
    <div
      id={rowId(row.key)}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-selected={selected}
      aria-expanded={row.expandable ? row.expanded : undefined}
      data-key={row.key}
      data-kind={row.kind}
      data-testid="inventory-node"
      data-name={row.name}
      tabIndex={-1}
      onClick={(e) => {
        // Keys go to the tree (it tracks the selected row), so a click hands focus back to it.
        e.currentTarget.closest<HTMLElement>('[role="tree"]')?.focus();
        onSelect();
      }}
      className={`flex h-7 cursor-default outline-none items-center gap-1.5 pr-3 whitespace-nowrap select-none ${
        selected ? 'bg-sky-100 text-zinc-900' : 'text-zinc-800 hover:bg-zinc-100'
      }`}
      style={{ paddingLeft: `${0.5 + row.depth * 1.1}rem` }}
    >
      <button
        type="button"
        tabIndex={-1}
        aria-hidden
        data-testid="inventory-toggle"
        onClick={(e) => {
          e.stopPropagation();
          onToggle();
        }}
        className={`grid size-4 shrink-0 place-items-center rounded text-zinc-500 hover:bg-zinc-200 ${
          row.expandable ? '' : 'invisible'
        }`}
      >
        <svg
          viewBox="0 0 16 16"
          className={`size-3 transition-transform ${row.expanded ? 'rotate-90' : ''}`}
          aria-hidden
        >
          <title>toggle</title>
          <path d="M6 4l4 4-4 4" fill="none" stroke="currentColor" strokeWidth="1.75" />
        </svg>
      </button>
      {dot !== undefined && (
        <span
          aria-hidden
          data-testid="inventory-dot"
          className={`size-2 shrink-0 rounded-full ${STATUS_DOT[dot] ?? 'bg-zinc-400'}`}
        />
      )}
      <span className="sr-only">{`${KIND_LABEL[row.kind]} `}</span>
      <span className={`min-w-0 truncate ${row.kind === 'datacenter' || row.kind === 'cluster' ? 'font-medium' : ''}`}>
        {row.name}
      </span>
      {row.kind === 'host' && row.maintenance && row.maintenance !== 'none' && (
        <MaintenanceBadge host={{ maintenance: row.maintenance, maintenanceBy: null }} />
      )}
      {row.kind === 'vm' ? (
        <span className="ml-auto pl-3 text-xs text-zinc-500">{row.state}</span>
      ) : (
        <span
          className="ml-auto pl-3 text-xs text-zinc-500 tabular-nums"
          data-testid="inventory-counts"
          title={`${row.vmsRunning} of ${row.vmsTotal} VMs running`}
        >
          {row.loading ? 'loading…' : `${row.vmsRunning}/${row.vmsTotal}`}
        </span>
      )}
    </div>
  );
}
