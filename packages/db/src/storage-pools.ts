// Storage pools Vireo applies to its hosts. A 'cluster' pool is one shared directory under the
// same name on every host of its cluster; a 'host' pool lives on one host. Names and paths are
// unique across the install (a host sees every cluster pool of its cluster beside its own).
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';
import type { Prisma } from './generated/client.ts';

export const POOL_SCOPES = ['host', 'cluster'] as const;
export type PoolScope = (typeof POOL_SCOPES)[number];

export type StoragePoolRecord = {
  id: string;
  name: string;
  type: 'dir';
  path: string;
  scope: PoolScope;
  hostId: string | null;
  clusterId: string | null;
  createdAt: Date;
};

export type StoragePoolInput = Pick<StoragePoolRecord, 'name' | 'path' | 'scope' | 'hostId' | 'clusterId'>;

const select = {
  id: true,
  name: true,
  type: true,
  path: true,
  scope: true,
  hostId: true,
  clusterId: true,
  createdAt: true,
} satisfies Prisma.StoragePoolSelect;

function toRecord(row: Prisma.StoragePoolGetPayload<{ select: typeof select }>): StoragePoolRecord {
  return { ...row, type: 'dir', scope: row.scope as PoolScope };
}

/** Every pool, or only those with the given ids (what a user may see: publishedVisibility). */
export async function list(filter: { ids?: string[] } = {}): Promise<StoragePoolRecord[]> {
  const rows = await getDb().storagePool.findMany({
    ...(filter.ids ? { where: { id: { in: filter.ids } } } : {}),
    select,
    orderBy: { name: 'asc' },
  });
  return rows.map(toRecord);
}

export async function byName(name: string): Promise<StoragePoolRecord | null> {
  const row = await getDb().storagePool.findUnique({ where: { name }, select });
  return row && toRecord(row);
}

/** The pools a host should have: its own and its cluster's. */
export async function forHost(host: { id: string; clusterId: string }): Promise<StoragePoolRecord[]> {
  const rows = await getDb().storagePool.findMany({
    where: { OR: [{ hostId: host.id }, { clusterId: host.clusterId }] },
    select,
    orderBy: { name: 'asc' },
  });
  return rows.map(toRecord);
}

/** DbConflictError when the name or the path is taken. */
export async function create(input: StoragePoolInput): Promise<StoragePoolRecord> {
  return mapDbErrors(async () => toRecord(await getDb().storagePool.create({ data: input, select })));
}

/** Whether a row was removed (false: already gone). */
export async function remove(name: string): Promise<boolean> {
  const { count } = await getDb().storagePool.deleteMany({ where: { name } });
  return count > 0;
}
