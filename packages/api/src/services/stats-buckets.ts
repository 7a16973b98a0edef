/**
 * Downsampling of stats, pure (no I/O, so it is unit-tested with fixed inputs):
 * - `BucketAccumulator` folds raw samples into open buckets per object and resolution, and hands
 *   back each bucket once it closes (a later sample arrived, or it went stale);
 * - `mergeBuckets` coarsens stored buckets for a chart, weighting each by its sample count.
 * An average of a field counts only the samples that had it (I/O rates are missing from a
 * domain's first sample and from older agents), and is null when none had it.
 */
import type { StatObjectKind, StatRow } from '@vireo/db';

/** The two stored resolutions, in seconds: 10 s buckets kept a day, 5 min buckets a month. */
export const RESOLUTIONS = [10, 300] as const;

export interface StatPoint {
  cpuPercent: number;
  memoryUsedBytes: number | null;
  diskReadBps: number | null;
  diskWriteBps: number | null;
  netRxBps: number | null;
  netTxBps: number | null;
}

const OPTIONAL_FIELDS = ['memoryUsedBytes', 'diskReadBps', 'diskWriteBps', 'netRxBps', 'netTxBps'] as const;
type OptionalField = (typeof OPTIONAL_FIELDS)[number];

/** Start of the bucket of `resolutionS` seconds holding `atMs` (epoch-aligned), in ms. */
export function bucketStartOf(atMs: number, resolutionS: number): number {
  const size = resolutionS * 1000;
  return Math.floor(atMs / size) * size;
}

/** Weighted sums of one bucket; `n` counts, per optional field, the weight that had a value. */
class Sums {
  samples = 0;
  cpu = 0;
  readonly sum: Record<OptionalField, number> = {
    memoryUsedBytes: 0,
    diskReadBps: 0,
    diskWriteBps: 0,
    netRxBps: 0,
    netTxBps: 0,
  };
  readonly n: Record<OptionalField, number> = { ...this.sum };

  add(p: StatPoint, weight: number): void {
    this.samples += weight;
    this.cpu += p.cpuPercent * weight;
    for (const f of OPTIONAL_FIELDS) {
      const v = p[f];
      if (v === null) continue;
      this.sum[f] += v * weight;
      this.n[f] += weight;
    }
  }

  average(): StatPoint {
    const avg = (f: OptionalField) => (this.n[f] > 0 ? round(this.sum[f] / this.n[f]) : null);
    return {
      cpuPercent: Math.round((this.cpu / this.samples) * 100) / 100,
      memoryUsedBytes: avg('memoryUsedBytes'),
      diskReadBps: avg('diskReadBps'),
      diskWriteBps: avg('diskWriteBps'),
      netRxBps: avg('netRxBps'),
      netTxBps: avg('netTxBps'),
    };
  }
}

const round = (v: number) => Math.round(v * 10) / 10;

interface Open {
  objectKind: StatObjectKind;
  objectId: string;
  resolution: number;
  start: number;
  sums: Sums;
}

export class BucketAccumulator {
  private readonly open = new Map<string, Open>();

  constructor(private readonly resolutions: readonly number[] = RESOLUTIONS) {}

  /**
   * Adds one raw sample to the object's open bucket at every resolution; returns the buckets this
   * sample closed (it belongs to a later bucket). A sample older than the open bucket (clock
   * skew) is folded into the open bucket rather than reopening a written one.
   */
  add(objectKind: StatObjectKind, objectId: string, atMs: number, point: StatPoint): StatRow[] {
    const closed: StatRow[] = [];
    for (const resolution of this.resolutions) {
      const key = `${objectKind}:${objectId}:${resolution}`;
      const start = bucketStartOf(atMs, resolution);
      let bucket = this.open.get(key);
      if (bucket && start > bucket.start) {
        closed.push(toRow(bucket));
        bucket = undefined;
      }
      if (!bucket) {
        bucket = { objectKind, objectId, resolution, start, sums: new Sums() };
        this.open.set(key, bucket);
      }
      bucket.sums.add(point, 1);
    }
    return closed;
  }

  /**
   * Closes the buckets that ended at or before `nowMs - graceMs`: objects that stopped reporting
   * (a VM shut down, a host went away) would otherwise keep their last bucket open for ever.
   */
  flushStale(nowMs: number, graceMs: number): StatRow[] {
    const closed: StatRow[] = [];
    for (const [key, bucket] of this.open) {
      if (bucket.start + bucket.resolution * 1000 + graceMs <= nowMs) {
        closed.push(toRow(bucket));
        this.open.delete(key);
      }
    }
    return closed;
  }

  get openBuckets(): number {
    return this.open.size;
  }
}

function toRow(b: Open): StatRow {
  return {
    objectKind: b.objectKind,
    objectId: b.objectId,
    resolution: b.resolution,
    bucketStart: new Date(b.start),
    samples: b.sums.samples,
    ...b.sums.average(),
  };
}

/**
 * Merges stored buckets (oldest first) into buckets of `stepS` seconds, each weighted by its
 * sample count, so a chart never gets more points than it can draw.
 */
export function mergeBuckets(rows: StatRow[], stepS: number): StatRow[] {
  const out: StatRow[] = [];
  let current: { start: number; sums: Sums; first: StatRow } | undefined;
  const close = () => {
    if (!current) return;
    const { first, start, sums } = current;
    out.push({ ...first, resolution: stepS, bucketStart: new Date(start), samples: sums.samples, ...sums.average() });
  };
  for (const row of rows) {
    const start = bucketStartOf(row.bucketStart.getTime(), stepS);
    if (!current || start !== current.start) {
      close();
      current = { start, sums: new Sums(), first: row };
    }
    current.sums.add(row, row.samples);
  }
  close();
  return out;
}
