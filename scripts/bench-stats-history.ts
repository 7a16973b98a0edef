/**
 * What stats history costs in the database (SQLite; set DATABASE_URL to a migrated PostgreSQL
 * database to measure that instead), without a lab: a fresh temporary database gets TICKS rounds
 * of OBJECTS rows (one 10 s bucket per object, as the manager writes them: one bulk insert per
 * round), then one object's 24 h read and a prune. Prints ms per round, bytes per row, read and
 * prune times. Usage: `npx tsx scripts/bench-stats-history.ts` (BENCH_OBJECTS, BENCH_TICKS).
 */
import { statSync } from 'node:fs';
import { migratedTempDb } from '../packages/db/test/helpers.ts';

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 10_000);
const TICKS = Number(process.env.BENCH_TICKS ?? 30);

const temp = process.env.DATABASE_URL ? undefined : migratedTempDb();
if (temp) process.env.DATABASE_URL = temp.url;
const { closeDb, stats } = await import('../packages/db/src/index.ts');

const start = Date.UTC(2026, 11, 1);
const ids = Array.from({ length: OBJECTS }, (_, i) => `c${String(i).padStart(24, '0')}`); // cuid-sized
const times: number[] = [];
const cpu: number[] = [];
for (let tick = 0; tick < TICKS; tick++) {
  const bucketStart = new Date(start + tick * 10_000);
  const rows = ids.map((objectId, i) => ({
    objectKind: 'vm' as const,
    objectId,
    resolution: 10,
    bucketStart,
    samples: 1,
    cpuPercent: (i * 7 + tick) % 100,
    memoryUsedBytes: 512 * 1024 ** 2 + i,
    diskReadBps: i % 5000,
    diskWriteBps: i % 3000,
    netRxBps: i % 7000,
    netTxBps: i % 2000,
  }));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await stats.insertMany(rows);
  const c = process.cpuUsage(c0);
  times.push(performance.now() - t0);
  cpu.push((c.user + c.system) / 1000);
}
const pct = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN).toFixed(0);
};
console.log(
  `write: ${OBJECTS} rows per round, ${TICKS} rounds: wall median ${pct(times, 0.5)} ms, p95 ${pct(times, 0.95)} ms; ` +
    `CPU of this process median ${pct(cpu, 0.5)} ms, p95 ${pct(cpu, 0.95)} ms`,
);

const t1 = performance.now();
const one = await stats.range('vm', ids[OBJECTS >> 1] ?? '', 10, new Date(start));
console.log(`read: one object's ${one.length} buckets in ${(performance.now() - t1).toFixed(1)} ms`);

if (temp) {
  const file = temp.url.slice('file:'.length);
  const bytes = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
  console.log(
    `size: ${(bytes / 1024 ** 2).toFixed(1)} MiB for ${OBJECTS * TICKS} rows = ${(bytes / (OBJECTS * TICKS)).toFixed(0)} B/row`,
  );
}
const t2 = performance.now();
const pruned = await stats.prune(10, new Date(start + (TICKS / 2) * 10_000));
console.log(`prune: ${pruned} rows in ${(performance.now() - t2).toFixed(0)} ms`);
await closeDb();
temp?.cleanup();
