import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { stats } = db;
after(teardown);

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const row = (objectId: string, resolution: number, offsetS: number, cpuPercent: number) => ({
  objectKind: 'vm' as const,
  objectId,
  resolution,
  bucketStart: new Date(T0 + offsetS * 1000),
  samples: 5,
  cpuPercent,
  memoryUsedBytes: 6 * 1024 ** 3, // past 2^31: stored as BigInt, read back as a number
  diskReadBps: 1.5,
  diskWriteBps: null,
  netRxBps: 10,
  netTxBps: null,
});

test('insertMany writes in bulk (past one chunk); range reads one object, oldest first', async () => {
  const many = Array.from({ length: 2500 }, (_, i) => row('a', 10, i * 10, i % 100));
  await stats.insertMany([...many.reverse(), row('b', 10, 0, 1), row('a', 300, 0, 2)]);
  const got = await stats.range('vm', 'a', 10, new Date(T0 + 10_000 * 1000));
  assert.equal(got.length, 2500 - 1000);
  assert.deepEqual(got[0], row('a', 10, 10_000, 0));
  assert.ok(got.every((r, i) => i === 0 || r.bucketStart > (got[i - 1]?.bucketStart ?? 0)));
  assert.equal((await stats.range('vm', 'b', 10, new Date(0))).length, 1);
});

test('a bucket written twice is replaced, not a failed batch', async () => {
  await stats.insertMany([row('c', 10, 0, 1), row('c', 10, 10, 2)]);
  await stats.insertMany([row('c', 10, 10, 7), row('c', 10, 20, 3)]);
  const got = await stats.range('vm', 'c', 10, new Date(0));
  assert.deepEqual(
    got.map((r) => r.cpuPercent),
    [1, 7, 3],
  );
});

test('prune deletes one resolution before a cutoff', async () => {
  await stats.insertMany([row('d', 10, 0, 1), row('d', 10, 10, 4), row('d', 10, 60, 2), row('d', 300, 0, 3)]);
  // Every object's 10 s rows before the cutoff go (one bucket start per statement): d's two, and
  // the ones the tests above wrote there.
  const before = (await stats.range('vm', 'a', 10, new Date(0))).length;
  assert.ok((await stats.prune(10, new Date(T0 + 30_000))) >= 2);
  assert.deepEqual(
    (await stats.range('vm', 'd', 10, new Date(0))).map((r) => r.cpuPercent),
    [2],
  );
  assert.equal((await stats.range('vm', 'a', 10, new Date(0))).length, before - 3, 'a: the buckets at 0, 10 and 20 s');
  assert.equal((await stats.range('vm', 'd', 300, new Date(0))).length, 1, 'the other resolution stays');
});
