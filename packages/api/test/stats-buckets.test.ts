import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BucketAccumulator, bucketStartOf, mergeBuckets, type StatPoint } from '../src/services/stats-buckets.ts';
import { STATS_RANGES, stepFor } from '../src/services/stats-history.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0); // on a 5 min boundary
const point = (cpu: number, extra: Partial<StatPoint> = {}): StatPoint => ({
  cpuPercent: cpu,
  memoryUsedBytes: null,
  diskReadBps: null,
  diskWriteBps: null,
  netRxBps: null,
  netTxBps: null,
  ...extra,
});

test('bucketStartOf aligns to the resolution', () => {
  assert.equal(bucketStartOf(T0 + 9_999, 10), T0);
  assert.equal(bucketStartOf(T0 + 10_000, 10), T0 + 10_000);
  assert.equal(bucketStartOf(T0 + 299_999, 300), T0);
  assert.equal(bucketStartOf(T0 - 1, 300), T0 - 300_000);
});

test('a sample in a later bucket closes the open one, averaged over its samples', () => {
  const acc = new BucketAccumulator([10]);
  assert.deepEqual(acc.add('vm', 'a', T0 + 1_000, point(10, { memoryUsedBytes: 100, diskReadBps: 50 })), []);
  assert.deepEqual(acc.add('vm', 'a', T0 + 3_000, point(20, { memoryUsedBytes: 200 })), []);
  assert.deepEqual(acc.add('vm', 'a', T0 + 5_000, point(60, { memoryUsedBytes: 300, diskReadBps: 150 })), []);
  const closed = acc.add('vm', 'a', T0 + 11_000, point(5));
  assert.deepEqual(closed, [
    {
      objectKind: 'vm',
      objectId: 'a',
      resolution: 10,
      bucketStart: new Date(T0),
      samples: 3,
      cpuPercent: 30,
      memoryUsedBytes: 200,
      // Only the two samples that had a disk rate count for its average.
      diskReadBps: 100,
      diskWriteBps: null,
      netRxBps: null,
      netTxBps: null,
    },
  ]);
  assert.equal(acc.openBuckets, 1);
});

test('objects and resolutions are bucketed separately; 5 min buckets get every raw sample', () => {
  const acc = new BucketAccumulator();
  const closed = [];
  // 2 s samples for 5 minutes and a bit: VM cpu = 1..151, host cpu constant 50.
  for (let i = 0; i <= 150; i++) {
    const at = T0 + i * 2_000;
    closed.push(...acc.add('vm', 'a', at, point(i + 1)));
    closed.push(...acc.add('host', 'h', at, point(50)));
  }
  const vm10 = closed.filter((r) => r.objectKind === 'vm' && r.resolution === 10);
  const host10 = closed.filter((r) => r.objectKind === 'host' && r.resolution === 10);
  const five = closed.filter((r) => r.resolution === 300);
  assert.equal(vm10.length, 30, 'thirty 10 s buckets in 5 min');
  assert.equal(host10.length, 30);
  assert.ok(vm10.every((r) => r.samples === 5));
  assert.equal(vm10[0]?.cpuPercent, 3, 'mean of 1..5');
  assert.equal(vm10[29]?.cpuPercent, 148, 'mean of 146..150');
  assert.deepEqual(
    five.map((r) => [r.objectKind, r.samples, r.cpuPercent, r.bucketStart.getTime()]),
    [
      ['vm', 150, 75.5, T0], // mean of 1..150
      ['host', 150, 50, T0],
    ],
  );
});

test('flushStale closes buckets of objects that stopped reporting, only after the grace', () => {
  const acc = new BucketAccumulator();
  acc.add('vm', 'gone', T0 + 1_000, point(40));
  assert.deepEqual(acc.flushStale(T0 + 10_000 + 4_999, 5_000), []);
  const ten = acc.flushStale(T0 + 15_000, 5_000);
  assert.deepEqual(
    ten.map((r) => [r.resolution, r.cpuPercent]),
    [[10, 40]],
  );
  assert.deepEqual(
    acc.flushStale(T0 + 305_000, 5_000).map((r) => [r.resolution, r.samples]),
    [[300, 1]],
  );
  assert.equal(acc.openBuckets, 0);
});

test('mergeBuckets coarsens stored buckets, weighted by sample count', () => {
  const row = (offsetS: number, samples: number, cpu: number, net: number | null) => ({
    objectKind: 'vm' as const,
    objectId: 'a',
    resolution: 10,
    bucketStart: new Date(T0 + offsetS * 1000),
    samples,
    ...point(cpu, { netRxBps: net }),
  });
  const merged = mergeBuckets([row(0, 1, 10, 100), row(10, 3, 50, null), row(20, 5, 0, 300), row(30, 5, 20, 100)], 20);
  assert.deepEqual(
    merged.map((r) => [r.bucketStart.getTime() - T0, r.resolution, r.samples, r.cpuPercent, r.netRxBps]),
    [
      [0, 20, 4, 40, 100], // (10·1 + 50·3) / 4; net only from the bucket that had it
      [20_000, 20, 10, 10, 200],
    ],
  );
});

test('ranges pick the resolution and keep charts under 720 points', () => {
  assert.equal(stepFor('1h'), 10);
  assert.equal(stepFor('24h'), 120);
  assert.equal(stepFor('7d'), 900);
  assert.equal(stepFor('30d'), 3600);
  for (const range of Object.keys(STATS_RANGES) as (keyof typeof STATS_RANGES)[]) {
    assert.ok(STATS_RANGES[range].seconds / stepFor(range) <= 720, range);
    assert.equal(stepFor(range) % STATS_RANGES[range].resolution, 0, `${range} step is whole buckets`);
  }
});
