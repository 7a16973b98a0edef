/**
 * Member VM list benchmark (issue 10): 10,000 VMs in 100 projects; a member of one project lists
 * VMs through the real `vm.list` procedure (permission middleware, the user's grants, the
 * filtered page and its count): p50/p95 server time, goal p95 < 50 ms, on SQLite and on
 * PostgreSQL alike. Not part of `npm test`.
 *
 *   npx tsx scripts/bench-member-list.ts          # both: a temporary SQLite file and a temporary
 *                                                 # PostgreSQL database on VIREO_BENCH_POSTGRES_URL
 *   BENCH_DB=sqlite npx tsx scripts/bench-member-list.ts      # one of them
 *
 * VIREO_BENCH_POSTGRES_URL defaults to the local server over its socket, as root.
 */
import { execFileSync } from 'node:child_process';

const VMS = Number(process.env.BENCH_VMS ?? 10_000);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const GOAL_MS = 50;

if (!process.env.BENCH_DB) {
  // One child per database: the Prisma client is chosen once per process.
  for (const kind of ['sqlite', 'postgres']) {
    execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_DB: kind },
    });
  }
  process.exit(0);
}

process.env.VIREO_TEST_DATABASE = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'sqlite';
process.env.VIREO_TEST_POSTGRES_URL ??=
  process.env.VIREO_BENCH_POSTGRES_URL ?? 'postgresql://root@localhost:5432/postgres?host=/var/run/postgresql';
const { setupTestDb, testTemplate } = await import('../packages/db/test/helpers.ts');
const { db, teardown } = await setupTestDb();
const { appRouter } = await import('../packages/api/src/root.ts');
const { createCallerFactory } = await import('../packages/api/src/trpc.ts');

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

try {
  const cluster = await db.clusters.ensure('Default', 'Default');
  const template = await testTemplate(db, 'bench-tpl');
  const owners = await Promise.all(
    ['a', 'b', 'c', 'd'].map((s) =>
      db.users.create({ username: `owner-${s}`, password: 'bench-pw-long', role: 'user' }),
    ),
  );
  const member = await db.users.create({ username: 'member', password: 'bench-pw-long', role: 'user' });
  const t0 = performance.now();
  const seed = await db.vmSeed.seedVms({
    prefix: 'bench',
    count: VMS,
    clusterId: cluster.id,
    templateId: template.id,
    ownerIds: owners.map((o) => o.id),
  });
  const projectIds: string[] = [];
  for (let i = 0; i < PROJECTS; i++) projectIds.push((await db.projects.create({ name: `project-${i}` })).id);
  await db.vmSeed.assignProjects(seed.hostId, projectIds);
  const mine = projectIds[Math.floor(PROJECTS / 2)] as string;
  await db.roleBindings.grant({ userId: member.id, role: 'member', scopeKind: 'project', scopeId: mine });
  const seedMs = performance.now() - t0;

  const caller = createCallerFactory(appRouter)({
    user: { ...member, role: 'user' },
    session: { id: 'bench' },
    auth: { kind: 'session', sessionId: 'bench' },
    client: { address: '127.0.0.1', secure: false },
    cookie: () => undefined,
    setCookie: () => {},
  } as never);

  const cases: [string, Record<string, unknown>][] = [
    ['first page (50, by name)', { offset: 0, limit: 50, sort: 'name', dir: 'asc' }],
    ['by state, name contains "web"', { offset: 0, limit: 50, sort: 'state', dir: 'asc', name: 'web' }],
    ['by memory desc, second page', { offset: 50, limit: 50, sort: 'memory', dir: 'desc' }],
  ];
  const dbKind = process.env.BENCH_DB === 'postgres' ? 'PostgreSQL' : 'SQLite';
  console.log(
    `${dbKind}: ${VMS} VMs in ${PROJECTS} projects (seeded in ${Math.round(seedMs)} ms); a member of one project lists VMs, ${RUNS} runs each:`,
  );
  let worst = 0;
  for (const [label, input] of cases) {
    const first = await caller.vm.list(input as never); // warm
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      await caller.vm.list(input as never);
      ms.push(performance.now() - start);
    }
    const p95 = pct(ms, 95);
    worst = Math.max(worst, p95);
    console.log(
      `  ${label.padEnd(34)} ${String(first.total).padStart(5)} visible   p50 ${pct(ms, 50).toFixed(1).padStart(6)} ms   p95 ${p95.toFixed(1).padStart(6)} ms`,
    );
  }
  console.log(`  worst p95 ${worst.toFixed(1)} ms (goal < ${GOAL_MS} ms): ${worst < GOAL_MS ? 'ok' : 'OVER'}`);
} finally {
  await teardown();
}
