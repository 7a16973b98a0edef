/**
 * The inventory tree as the screen draws it: the nodes that are visible (their parents
 * expanded), in order, each with its depth and counts. Pure, so keyboard moves can be tested
 * without a browser.
 */
import type { HostStatus, VmState } from '@/trpc/types';

export type NodeKind = 'datacenter' | 'cluster' | 'host' | 'vm';

export type TreeData = {
  datacenters: { id: string; name: string }[];
  clusters: { id: string; name: string; datacenterId: string }[];
  hosts: {
    id: string;
    name: string;
    clusterId: string;
    status: HostStatus;
    maintenance?: 'none' | 'entering' | 'maintenance';
    vmsTotal: number;
    vmsRunning: number;
  }[];
};

export type VmLeaf = { id: string; name: string; state: string };

export type TreeRow = {
  key: string;
  kind: NodeKind;
  id: string;
  name: string;
  depth: number;
  parentKey: string | null;
  /** Whether it can be expanded at all (a host with no VMs cannot). */
  expandable: boolean;
  expanded: boolean;
  vmsRunning: number;
  vmsTotal: number;
  hostCount: number;
  status?: HostStatus;
  /** A host entering or in maintenance (a badge); absent or 'none' otherwise. */
  maintenance?: 'none' | 'entering' | 'maintenance';
  state?: VmState;
  /** A host's VM leaves are being loaded. */
  loading?: boolean;
};

export function nodeKey(kind: NodeKind, id: string): string {
  return `${kind}:${id}`;
}

export function parseKey(key: string): { kind: NodeKind; id: string } | null {
  const at = key.indexOf(':');
  if (at < 0) return null;
  const kind = key.slice(0, at) as NodeKind;
  if (!['datacenter', 'cluster', 'host', 'vm'].includes(kind)) return null;
  return { kind, id: key.slice(at + 1) };
}

type Totals = { running: number; total: number; hosts: number };

/** Per cluster and per datacenter: hosts, VMs running and total (from the hosts' counts). */
export function rollUp(data: TreeData): { clusters: Map<string, Totals>; datacenters: Map<string, Totals> } {
  const clusters = new Map<string, Totals>();
  const datacenters = new Map<string, Totals>();
  const dcOf = new Map(data.clusters.map((c) => [c.id, c.datacenterId]));
  const add = (map: Map<string, Totals>, id: string, h: TreeData['hosts'][number]) => {
    const t = map.get(id) ?? { running: 0, total: 0, hosts: 0 };
    t.running += h.vmsRunning;
    t.total += h.vmsTotal;
    t.hosts += 1;
    map.set(id, t);
  };
  for (const h of data.hosts) {
    add(clusters, h.clusterId, h);
    const dc = dcOf.get(h.clusterId);
    if (dc) add(datacenters, dc, h);
  }
  return { clusters, datacenters };
}

/** The visible rows, depth-first, children in name order (as the API sends them). */
export function visibleRows(
  data: TreeData,
  expanded: ReadonlySet<string>,
  leaves: ReadonlyMap<string, VmLeaf[] | undefined>,
): TreeRow[] {
  const totals = rollUp(data);
  const none = { running: 0, total: 0, hosts: 0 };
  const rows: TreeRow[] = [];
  for (const dc of data.datacenters) {
    const dcKey = nodeKey('datacenter', dc.id);
    const clusters = data.clusters.filter((c) => c.datacenterId === dc.id);
    const t = totals.datacenters.get(dc.id) ?? none;
    const dcOpen = expanded.has(dcKey) && clusters.length > 0;
    rows.push(row('datacenter', dc, 0, null, clusters.length > 0, dcOpen, t));
    if (!dcOpen) continue;
    for (const c of clusters) {
      const cKey = nodeKey('cluster', c.id);
      const hosts = data.hosts.filter((h) => h.clusterId === c.id);
      const ct = totals.clusters.get(c.id) ?? none;
      const cOpen = expanded.has(cKey) && hosts.length > 0;
      rows.push(row('cluster', c, 1, dcKey, hosts.length > 0, cOpen, ct));
      if (!cOpen) continue;
      for (const h of hosts) {
        const hKey = nodeKey('host', h.id);
        const hOpen = expanded.has(hKey) && h.vmsTotal > 0;
        const vms = leaves.get(h.id);
        rows.push({
          ...row('host', h, 2, cKey, h.vmsTotal > 0, hOpen, { running: h.vmsRunning, total: h.vmsTotal, hosts: 1 }),
          status: h.status,
          maintenance: h.maintenance ?? 'none',
          loading: hOpen && !vms,
        });
        if (!hOpen || !vms) continue;
        for (const vm of vms) {
          rows.push({
            ...row('vm', vm, 3, hKey, false, false, none),
            state: vm.state as VmState,
            vmsRunning: vm.state === 'running' ? 1 : 0,
            vmsTotal: 1,
          });
        }
      }
    }
  }
  return rows;
}

function row(
  kind: NodeKind,
  node: { id: string; name: string },
  depth: number,
  parentKey: string | null,
  expandable: boolean,
  expanded: boolean,
  t: Totals,
): TreeRow {
  return {
    key: nodeKey(kind, node.id),
    kind,
    id: node.id,
    name: node.name,
    depth,
    parentKey,
    expandable,
    expanded,
    vmsRunning: t.running,
    vmsTotal: t.total,
    hostCount: t.hosts,
  };
}

export type TreeMove =
  | { type: 'focus'; key: string }
  | { type: 'expand'; key: string }
  | { type: 'collapse'; key: string }
  | { type: 'toggle'; key: string }
  | null;

/**
 * What a key does on the focused row (WAI-ARIA tree pattern): ↑/↓ move, → expands or enters the
 * first child, ← collapses or goes to the parent, Home/End jump, Enter toggles.
 */
export function keyMove(rows: readonly TreeRow[], focused: string | null, key: string): TreeMove {
  if (rows.length === 0) return null;
  const i = rows.findIndex((r) => r.key === focused);
  const current = rows[i];
  if (!current) return { type: 'focus', key: (rows[0] as TreeRow).key };
  const at = (j: number) => rows[Math.max(0, Math.min(rows.length - 1, j))] as TreeRow;
  switch (key) {
    case 'ArrowDown':
      return { type: 'focus', key: at(i + 1).key };
    case 'ArrowUp':
      return { type: 'focus', key: at(i - 1).key };
    case 'Home':
      return { type: 'focus', key: at(0).key };
    case 'End':
      return { type: 'focus', key: at(rows.length - 1).key };
    case 'ArrowRight':
      if (current.expandable && !current.expanded) return { type: 'expand', key: current.key };
      if (current.expanded && rows[i + 1]?.parentKey === current.key) return { type: 'focus', key: at(i + 1).key };
      return null;
    case 'ArrowLeft':
      if (current.expanded) return { type: 'collapse', key: current.key };
      return current.parentKey ? { type: 'focus', key: current.parentKey } : null;
    case 'Enter':
      return current.expandable ? { type: 'toggle', key: current.key } : null;
    default:
      return null;
  }
}

/**
 * The nodes to open so that `key` is visible, outermost first; null while the data does not hold
 * it yet (just created, the tree not refetched). A VM's host is not in the data: none for it.
 */
export function ancestorKeys(data: TreeData, key: string): string[] | null {
  const parsed = parseKey(key);
  if (!parsed) return null;
  const clusterPath = (clusterId: string | undefined) => {
    const c = data.clusters.find((x) => x.id === clusterId);
    return c ? [nodeKey('datacenter', c.datacenterId)] : null;
  };
  switch (parsed.kind) {
    case 'datacenter':
      return data.datacenters.some((d) => d.id === parsed.id) ? [] : null;
    case 'cluster':
      return clusterPath(parsed.id);
    case 'host': {
      const h = data.hosts.find((x) => x.id === parsed.id);
      const up = h ? clusterPath(h.clusterId) : null;
      return h && up ? [...up, nodeKey('cluster', h.clusterId)] : null;
    }
    case 'vm':
      return [];
  }
}
