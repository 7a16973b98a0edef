// Stats history rows (model StatSample): bulk writes, one object's range, and pruning by age.
import { getDb } from './client.ts';
import { DbConflictError, mapDbErrors } from './errors.ts';

export type StatObjectKind = 'host' | 'vm';

/** One bucket of one object at one resolution; averages over `samples` raw samples. */
export interface StatRow {
  objectKind: StatObjectKind;
  objectId: string;
  /** Bucket length in seconds. */
  resolution: number;
  bucketStart: Date;
  samples: number;
  cpuPercent: number;
  memoryUsedBytes: number | null;
  diskReadBps: number | null;
  diskWriteBps: number | null;
  netRxBps: number | null;
  netTxBps: number | null;
}

// 11 columns a row: 1,000 rows stay far below SQLite's limit of bound variables per statement.
const CHUNK = 1000;

function toData(r: StatRow) {
  return { ...r, memoryUsedBytes: r.memoryUsedBytes === null ? null : BigInt(Math.round(r.memoryUsedBytes)) };
}

/**
 * Writes buckets with one INSERT per 1,000 rows. A bucket that already exists (the same host's
 * agent moved between managers, or a manager restarted mid-bucket) makes that chunk fall back to
 * upserts, the later figures winning: rare, and never a lost chunk.
 */
export async function insertMany(rows: StatRow[]): Promise<void> {
  const db = getDb();
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK).map(toData);
    try {
      await mapDbErrors(() => db.statSample.createMany({ data: chunk }));
    } catch (err) {
      if (!DbConflictError.is(err)) throw err;
      for (const data of chunk) {
        const { objectKind, objectId, resolution, bucketStart } = data;
        await db.statSample.upsert({
          where: { objectKind_objectId_resolution_bucketStart: { objectKind, objectId, resolution, bucketStart } },
          create: data,
          update: data,
          select: { samples: true },
        });
      }
    }
  }
}

/** One object's buckets at one resolution from `since` on, oldest first. */
export async function range(
  objectKind: StatObjectKind,
  objectId: string,
  resolution: number,
  since: Date,
): Promise<StatRow[]> {
  const rows = await getDb().statSample.findMany({
    where: { objectKind, objectId, resolution, bucketStart: { gte: since } },
    select: {
      objectKind: true,
      objectId: true,
      resolution: true,
      bucketStart: true,
      samples: true,
      cpuPercent: true,
      memoryUsedBytes: true,
      diskReadBps: true,
      diskWriteBps: true,
      netRxBps: true,
      netTxBps: true,
    },
    orderBy: { bucketStart: 'asc' },
  });
  return rows.map((r) => ({
    ...r,
    objectKind: r.objectKind as StatObjectKind,
    memoryUsedBytes: r.memoryUsedBytes === null ? null : Number(r.memoryUsedBytes),
  }));
}

/** Deletes the buckets of a resolution that started before `before`; returns how many. */
export async function prune(resolution: number, before: Date): Promise<number> {
  const { count } = await getDb().statSample.deleteMany({ where: { resolution, bucketStart: { lt: before } } });
  return count;
}
