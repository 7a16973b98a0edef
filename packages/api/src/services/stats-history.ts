/**
 * Stats history: every agent sample is folded into 10 s and 5 min buckets in memory
 * (stats-buckets.ts) and a closed bucket is written once, all of a sample's closed buckets in one
 * bulk insert. So the write rate is at most one row per object per 10 s (plus one per 5 min),
 * whatever the agents' interval, and nothing is re-read to roll up. A timer closes the buckets of
 * objects that stopped reporting and prunes rows past their retention.
 *
 * What a restart loses: the open buckets (at most the last 10 s, and the current 5 min bucket,
 * which the next process writes with the samples it saw). See docs/stats-history.md for the cost.
 */
import { hosts, type StatObjectKind, type StatRow, stats } from '@vireo/db';
import type { StatsMessage } from '@vireo/protocol';
import { VireoError } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import { BucketAccumulator, mergeBuckets, type StatPoint } from './stats-buckets.ts';

/** A bucket is closed this long after its end if no later sample closed it. */
const STALE_GRACE_MS = 15_000;
const FLUSH_EVERY_MS = 15_000;
/** Often enough that one pass deletes a few buckets, not hours of them. */
const PRUNE_EVERY_MS = 60_000;
/** The most points one chart gets; coarser steps are merged on read. */
const MAX_POINTS = 720;

export const STATS_RANGES = {
  '1h': { seconds: 3600, resolution: 10 },
  '24h': { seconds: 24 * 3600, resolution: 10 },
  '7d': { seconds: 7 * 24 * 3600, resolution: 300 },
  '30d': { seconds: 30 * 24 * 3600, resolution: 300 },
} as const;
export type StatsRange = keyof typeof STATS_RANGES;

const accumulator = new BucketAccumulator();
let timer: NodeJS.Timeout | undefined;
let lastPruneAt = 0;

/**
 * Records one agent sample: the host's figures, and those of its own VMs (`hostVms` maps libvirt
 * uuid → VM id; domains the manager does not know are skipped). Host disk and network I/O are the
 * sums over its domains, the only per-host I/O libvirt gives without extra calls.
 */
export async function recordStats(
  hostId: string,
  msg: StatsMessage,
  hostVms: ReadonlyMap<string, string>,
): Promise<void> {
  ensureTimer();
  const closed: StatRow[] = [];
  const io = { diskReadBps: null, diskWriteBps: null, netRxBps: null, netTxBps: null } as Record<
    'diskReadBps' | 'diskWriteBps' | 'netRxBps' | 'netTxBps',
    number | null
  >;
  for (const d of msg.domains) {
    for (const f of Object.keys(io) as (keyof typeof io)[]) {
      const v = d[f];
      if (v !== undefined) io[f] = (io[f] ?? 0) + v;
    }
    const vmId = hostVms.get(d.uuid);
    if (!vmId) continue;
    const point: StatPoint = {
      cpuPercent: d.cpuUsagePercent,
      memoryUsedBytes: d.memoryUsedBytes ?? null,
      diskReadBps: d.diskReadBps ?? null,
      diskWriteBps: d.diskWriteBps ?? null,
      netRxBps: d.netRxBps ?? null,
      netTxBps: d.netTxBps ?? null,
    };
    closed.push(...accumulator.add('vm', vmId, msg.at, point));
  }
  const { memoryTotalBytes, memoryFreeBytes, cpuUsagePercent } = msg.host;
  const hostPoint: StatPoint = {
    cpuPercent: cpuUsagePercent,
    memoryUsedBytes: memoryTotalBytes !== undefined ? Math.max(0, memoryTotalBytes - memoryFreeBytes) : null,
    ...io,
  };
  closed.push(...accumulator.add('host', hostId, msg.at, hostPoint));
  if (closed.length > 0) await stats.insertMany(closed);
}

function ensureTimer(): void {
  if (timer) return;
  timer = setInterval(() => {
    housekeeping(Date.now()).catch((err) => console.error('[stats-history] housekeeping failed:', err));
  }, FLUSH_EVERY_MS);
  timer.unref();
}

async function housekeeping(now: number): Promise<void> {
  const stale = accumulator.flushStale(now, STALE_GRACE_MS);
  if (stale.length > 0) await stats.insertMany(stale);
  if (now - lastPruneAt < PRUNE_EVERY_MS) return;
  lastPruneAt = now;
  const env = managerEnv();
  await stats.prune(10, new Date(now - env.VIREO_STATS_RAW_RETENTION_H * 3600_000));
  await stats.prune(300, new Date(now - env.VIREO_STATS_ROLLUP_RETENTION_D * 24 * 3600_000));
}

export interface StatsHistoryPoint extends StatPoint {
  /** Bucket start, epoch ms. */
  t: number;
}

export interface StatsHistory {
  range: StatsRange;
  /** Seconds between points (the stored resolution, or coarser to stay under MAX_POINTS). */
  stepSeconds: number;
  from: number;
  to: number;
  points: StatsHistoryPoint[];
}

/** The step for a range: its resolution, times what keeps the point count under MAX_POINTS. */
export function stepFor(range: StatsRange): number {
  const { seconds, resolution } = STATS_RANGES[range];
  return Math.max(1, Math.ceil(seconds / MAX_POINTS / resolution)) * resolution;
}

export async function objectHistory(
  objectKind: StatObjectKind,
  objectId: string,
  range: StatsRange,
  now = Date.now(),
): Promise<StatsHistory> {
  const { seconds, resolution } = STATS_RANGES[range];
  const from = now - seconds * 1000;
  const rows = await stats.range(objectKind, objectId, resolution, new Date(from));
  const step = stepFor(range);
  const merged = step === resolution ? rows : mergeBuckets(rows, step);
  return {
    range,
    stepSeconds: step,
    from,
    to: now,
    points: merged.map(
      ({ bucketStart, cpuPercent, memoryUsedBytes, diskReadBps, diskWriteBps, netRxBps, netTxBps }) => ({
        t: bucketStart.getTime(),
        cpuPercent,
        memoryUsedBytes,
        diskReadBps,
        diskWriteBps,
        netRxBps,
        netTxBps,
      }),
    ),
  };
}

/** Admins only (the router says so); a host id that does not exist is NOT_FOUND. */
export async function hostHistory(hostId: string, range: StatsRange): Promise<StatsHistory> {
  if (!(await hosts.byId(hostId))) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  return objectHistory('host', hostId, range);
}
