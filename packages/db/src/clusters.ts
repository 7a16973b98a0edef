import { getDb } from './client.ts';
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
