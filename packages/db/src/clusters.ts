import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';
import type { Prisma } from './generated/client.ts';

export type ClusterView = {
  id: string;
  name: string;
  datacenterId: string;
  datacenterName: string;
  hostCount: number;
};

const clusterSelect = {
  id: true,
  name: true,
  datacenterId: true,
  datacenter: { select: { name: true } },
  _count: { select: { hosts: true } },
} satisfies Prisma.ClusterSelect;

function toView(row: Prisma.ClusterGetPayload<{ select: typeof clusterSelect }>): ClusterView {
  return {
    id: row.id,
    name: row.name,
    datacenterId: row.datacenterId,
    datacenterName: row.datacenter.name,
    hostCount: row._count.hosts,
  };
}

export async function list(): Promise<ClusterView[]> {
  const rows = await getDb().cluster.findMany({
    select: clusterSelect,
    orderBy: [{ datacenter: { name: 'asc' } }, { name: 'asc' }],
  });
  return rows.map(toView);
}

export async function byId(id: string): Promise<ClusterView | null> {
  const row = await getDb().cluster.findUnique({ where: { id }, select: clusterSelect });
  return row && toView(row);
}

/** Create the datacenter and cluster if missing (idempotent; used by the seed). */
export async function ensure(datacenterName: string, clusterName: string): Promise<ClusterView> {
  const db = getDb();
  const dc = await db.datacenter.upsert({
    where: { name: datacenterName },
    create: { name: datacenterName },
    update: {},
    select: { id: true },
  });
  const row = await db.cluster.upsert({
    where: { datacenterId_name: { datacenterId: dc.id, name: clusterName } },
    create: { name: clusterName, datacenterId: dc.id },
    update: {},
    select: clusterSelect,
  });
  return toView(row);
}

export const PLACEMENT_POLICIES = ['balanced', 'packed'] as const;
export type PlacementPolicy = (typeof PLACEMENT_POLICIES)[number];

export const BALANCER_MODES = ['off', 'recommend', 'automatic'] as const;
export type BalancerMode = (typeof BALANCER_MODES)[number];

/** A cluster's settings (issue 8): what migration and placement read. */
export type ClusterPolicies = {
  /** CPU model every host of the cluster offers VMs; '' = host-passthrough (any). */
  cpuBaseline: string;
  migrationMaxDowntimeMs: number;
  /** 0 = unlimited. */
  migrationBandwidthMiBs: number;
  migrationParallelPerHost: number;
  migrationAutoConverge: boolean;
  migrationPostCopy: boolean;
  placementPolicy: PlacementPolicy;
  balancerMode: BalancerMode;
  balancerCooldownMinutes: number;
  balancerMaxMoves: number;
  /** Percentage points of committed-memory spread a move must save. */
  balancerThreshold: number;
};

const policySelect = {
  cpuBaseline: true,
  migrationMaxDowntimeMs: true,
  migrationBandwidthMiBs: true,
  migrationParallelPerHost: true,
  migrationAutoConverge: true,
  migrationPostCopy: true,
  placementPolicy: true,
  balancerMode: true,
  balancerCooldownMinutes: true,
  balancerMaxMoves: true,
  balancerThreshold: true,
} satisfies Prisma.ClusterSelect;

function toPolicies(row: Prisma.ClusterGetPayload<{ select: typeof policySelect }>): ClusterPolicies {
  const placementPolicy = (PLACEMENT_POLICIES as readonly string[]).includes(row.placementPolicy)
    ? (row.placementPolicy as PlacementPolicy)
    : 'balanced';
  const balancerMode = (BALANCER_MODES as readonly string[]).includes(row.balancerMode)
    ? (row.balancerMode as BalancerMode)
    : 'off';
  return { ...row, placementPolicy, balancerMode };
}

/** The cluster's policies, or null if there is no such cluster. */
export async function policies(clusterId: string): Promise<ClusterPolicies | null> {
  const row = await getDb().cluster.findUnique({ where: { id: clusterId }, select: policySelect });
  return row && toPolicies(row);
}

/** Sets some policies; returns them all. @throws DbNotFoundError */
export async function setPolicies(clusterId: string, changes: Partial<ClusterPolicies>): Promise<ClusterPolicies> {
  const row = await mapDbErrors(() =>
    getDb().cluster.update({ where: { id: clusterId }, data: changes, select: policySelect }),
  );
  return toPolicies(row);
}
