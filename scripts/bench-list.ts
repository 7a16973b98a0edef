/**
 * VM list benchmark (issue 11): seeds BENCH_VMS VMs (10,000 by default) and prints the p50/p95
 * of `vms.page` (the query `vm.list` runs: the page, its joins and the filtered count) for the
 * first page, a filtered page, a deep page and a user's own VMs. Target: p95 < 200 ms.
 *
 *   npx tsx scripts/bench-list.ts                       # a fresh, migrated temporary SQLite file
 *   DATABASE_URL=... npx tsx scripts/bench-list.ts       # any migrated database; the seed is removed
 *
 * It measures the database side only; tests/lab/vm-list.test.ts prints the same over HTTP.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const VMS = Number(process.env.BENCH_VMS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 50);

let tempDir: string | null = null;
if (!process.env.DATABASE_URL) {
  tempDir = mkdtempSync(path.join(tmpdir(), 'vireo-bench-list-'));
  process.env.DATABASE_URL = `file:${path.join(tempDir, 'bench.db')}`;
  execFileSync('bash', [path.join(import.meta.dirname, 'prisma.sh'), 'migrate', 'deploy'], { stdio: 'ignore' });
}
const db = await import('@vireo/db');
const { clusters, templates, users, vmSeed, vms } = db;

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const tag = `bench${Date.now().toString(36)}`;
const cluster = await clusters.ensure('Default', 'Default');
const template =
  (await templates.list())[0] ??
  (await templates.upsert({
    name: `${tag}-tpl`,
    description: 'bench',
    kernelPath: '/dev/null',
    initrdPath: '/dev/null',
    diskPath: '/dev/null',
    cmdline: '',
    defaultVcpus: 1,
    defaultMemoryMiB: 128,
  }));
const owners = await Promise.all(
  ['a', 'b', 'c', 'd'].map((s) => users.create({ username: `${tag}-${s}`, password: `${tag}-pw`, role: 'user' })),
);

const t0 = performance.now();
const seed = await vmSeed.seedVms({
  prefix: tag,
  count: VMS,
  clusterId: cluster.id,
  templateId: template.id,
  ownerIds: owners.map((o) => o.id),
});
const seedMs = performance.now() - t0;

const base = { offset: 0, limit: 100, sort: 'name', dir: 'asc' } as const;
const cases: [string, db.VmPageQuery][] = [
  ['first page (100, by name)', base],
  [
    'filtered (name "web", running, by memory desc)',
    { ...base, name: 'WEB', states: ['running'], sort: 'memory', dir: 'desc' },
  ],
  ['deep page (offset total-100)', { ...base, offset: Math.max(0, VMS - 100) }],
  ['one user’s VMs (by state)', { ...base, ownerId: owners[0]?.id, sort: 'state' }],
  ['by host name', { ...base, sort: 'host' }],
];

const url = process.env.DATABASE_URL ?? '';
console.log(`VM list on ${url.split(':')[0]}, ${VMS} VMs seeded in ${Math.round(seedMs)} ms, ${RUNS} runs each:`);
let worst = 0;
for (const [label, query] of cases) {
  await vms.page(query); // warm
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await vms.page(query);
    ms.push(performance.now() - start);
  }
  const p95 = pct(ms, 95);
  worst = Math.max(worst, p95);
  console.log(
    `  ${label.padEnd(50)} p50 ${pct(ms, 50).toFixed(1).padStart(6)} ms   p95 ${p95.toFixed(1).padStart(6)} ms`,
  );
}
console.log(`worst p95 ${worst.toFixed(1)} ms (target < 200 ms): ${worst < 200 ? 'ok' : 'OVER'}`);

await vmSeed.removeSeed(seed.hostId);
for (const o of owners) await users.delete(o.id);
await db.closeDb();
if (tempDir) rmSync(tempDir, { recursive: true, force: true });
