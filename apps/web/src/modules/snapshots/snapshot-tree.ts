import type { RouterOutputs } from '@/trpc/types';

export type Snapshot = RouterOutputs['snapshot']['list']['snapshots'][number];
export interface TreeRow {
  snapshot: Snapshot;
  depth: number;
}

/** Depth-first rows (parents before children, siblings oldest first) for an indented tree. */
export function snapshotTree(list: readonly Snapshot[]): TreeRow[] {
  const names = new Set(list.map((s) => s.name));
  const children = new Map<string | null, Snapshot[]>();
  for (const s of list) {
    // A parent libvirt no longer lists (mid-reconcile) makes the snapshot a root.
    const parent = s.parent && names.has(s.parent) ? s.parent : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: TreeRow[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const s of children.get(parent) ?? []) {
      out.push({ snapshot: s, depth });
      walk(s.name, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** A default name for a new snapshot: sortable, valid for libvirt and QEMU. */
export function defaultSnapshotName(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `snap-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}
