/**
 * The scale harness and its benchmarks (issue 11: 100 hosts, 10,000 VMs). Not part of `npm test`.
 *
 *   node --import tsx scripts/scale/run.ts [--hosts 100] [--vms 100] [--clients 50]
 *        [--changes 200] [--storm-s 60] [--quiet-s 30] [--creates 20] [--stats-ms 10000]
 *        [--stagger-ms <stats-ms / hosts>] [--next] [--port 3190]
 *
 * What it does, all over the real paths except the hypervisor:
 *  1. a fresh database (DATABASE_URL; default SQLite var/scale/vireo.db), migrated and seeded by
 *     the project's own commands, and a manager process (headless edge, or apps/web/server.ts
 *     with --next) with a probe preloaded (event-loop delay, RSS, CPU each second);
 *  2. enrollment tokens through the API (host.createEnrollmentToken, as an admin), then the
 *     simulated hosts (sim-hosts.ts): real agents over FakeHypervisors, in two processes: one
 *     holding a single host (its RSS and CPU are one agent's, measured alone) and one the rest;
 *  3. the VMs: each simulated host's domains pre-exist, recorded as Vireo VMs on their host
 *     (bulk insert) after the agents enrolled and before they connect, so the hosts' first full
 *     states reconcile 10,000 known VMs; `--creates` more through the real vm.create API;
 *  4. the figures: hosts online after start; `--clients` logged-in live streams (SSE); live
 *     change → every stream p95 over `--changes` single changes; the storm (every VM changes
 *     state once within `--storm-s`) with latency per 10 s window, the lag of its last changes,
 *     manager event-loop delay and RSS; agent RSS and CPU per 100 VMs.
 * Results are printed and written to var/scale/results-<time>.json.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { login, openLive } from './live-client.ts';
import { type ProbeLine, REPO, prepareDatabase, startManager } from './manager-process.ts';
import type { Command, Report, SimConfig, SimDomain, SimHost } from './sim-hosts.ts';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '100' },
    vms: { type: 'string', default: '100' },
    clients: { type: 'string', default: '50' },
    changes: { type: 'string', default: '200' },
    'storm-s': { type: 'string', default: '60' },
    'quiet-s': { type: 'string', default: '30' },
    creates: { type: 'string', default: '20' },
    'stats-ms': { type: 'string', default: '10000' },
    port: { type: 'string', default: '3190' },
    'stagger-ms': { type: 'string' },
    next: { type: 'boolean', default: false },
  },
});
const HOSTS = Number(args.hosts);
const VMS = Number(args.vms);
const CLIENTS = Number(args.clients);
const CHANGES = Number(args.changes);
const STORM_MS = Number(args['storm-s']) * 1000;
const QUIET_MS = Number(args['quiet-s']) * 1000;
const CREATES = Number(args.creates);

const dir = join(REPO, 'var', 'scale');
mkdirSync(dir, { recursive: true });
const databaseUrl = process.env.DATABASE_URL ?? `file:${join(dir, 'vireo.db')}`;
process.env.DATABASE_URL = databaseUrl;
const adminPassword = randomBytes(12).toString('hex');
const results: Record<string, unknown> = {
  at: new Date().toISOString(),
  database: databaseUrl.startsWith('file:') ? 'sqlite' : databaseUrl.split(':')[0],
  hosts: HOSTS,
  vmsPerHost: VMS,
  clients: CLIENTS,
  manager: args.next ? 'apps/web/server.ts' : 'headless edge',
  machine: { cores: cpus().length, loadAvg: {} as Record<string, number[]> },
};
/** The machine is shared: its load average goes with the figures taken under it. */
const noteLoad = (when: string) => {
  (results.machine as { loadAvg: Record<string, number[]> }).loadAvg[when] = loadavg().map(
    (l) => Math.round(l * 10) / 10,
  );
};
noteLoad('start');

/**
 * A request on a kept-alive connection that the manager closes at that very moment (its 5 s idle
 * timeout, late when its event loop is busy) fails with ECONNRESET before the manager read it;
 * browsers retry those, and so does the harness, counting them.
 */
let connectionResets = 0;
const plainFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await plainFetch(input, init);
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (attempt >= 3 || init?.signal?.aborted || (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET')) throw err;
      connectionResets++;
    }
  }
};

const log = (msg: string) => console.log(`[scale ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

function pct(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
const summary = (v: number[]) => ({
  n: v.length,
  p50: Math.round(pct(v, 50)),
  p95: Math.round(pct(v, 95)),
  p99: Math.round(pct(v, 99)),
  max: Math.round(pct(v, 100)),
});

// ---- 1. database and manager ------------------------------------------------------------------

log(`database ${results.database}: migrating and seeding`);
const managerOpts = { databaseUrl, port: Number(args.port), dir, adminPassword, next: args.next };
prepareDatabase(managerOpts);
const manager = await startManager(managerOpts);
// Children go with the harness, whichever way it ends.
const children: (number | undefined)[] = [manager.child.pid];
process.on('exit', () => {
  for (const pid of children) {
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
process.on('SIGINT', () => process.exit(130));
log(`manager up at ${manager.url} (pid ${manager.child.pid})`);
process.env.VIREO_TEST_URL = manager.url;
process.env.VIREO_TEST_ADMIN_PASSWORD = adminPassword;
const { admin, waitTask } = await import('../../tests/support/api.ts');
const { api } = await admin();

// ---- 2. simulated hosts ----------------------------------------------------------------------

class Sim {
  readonly hosts: Promise<SimHost[]>;
  private readonly child;
  private waiters: ((r: Report) => boolean)[] = [];
  constructor(tokens: string[], firstIndex: number) {
    const config: SimConfig = {
      managerUrl: manager.url,
      tokens,
      firstIndex,
      vmsPerHost: VMS,
      runningShare: 0.8,
      stateRoot: join(dir, 'agents'),
      statsIntervalMs: Number(args['stats-ms']),
      watchIntervalMs: 3000,
    };
    this.child = fork(join(REPO, 'scripts/scale/sim-hosts.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, SCALE_SIM_CONFIG: JSON.stringify(config) },
    });
    this.child.on('message', (r: Report) => {
      if (r.t === 'error') console.error(`simulated hosts: ${r.message}`);
      this.waiters = this.waiters.filter((w) => !w(r));
    });
    this.hosts = this.next('enrolled').then((r) => r.hosts);
  }
  get pid() {
    return this.child.pid;
  }
  next<T extends Report['t']>(t: T, match: (r: Extract<Report, { t: T }>) => boolean = () => true) {
    return new Promise<Extract<Report, { t: T }>>((resolve) => {
      this.waiters.push((r) => {
        if (r.t !== t || !match(r as Extract<Report, { t: T }>)) return false;
        resolve(r as Extract<Report, { t: T }>);
        return true;
      });
    });
  }
  send(c: Command) {
    this.child.send(c);
  }
  async usage() {
    const r = this.next('usage');
    this.send({ t: 'usage' });
    return r;
  }
  async stop() {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.send({ t: 'stop' });
    await Promise.race([exited, sleep(5000)]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

log(`creating ${HOSTS} enrollment tokens through the API`);
const tokens: string[] = [];
for (let i = 0; i < HOSTS; i++) tokens.push((await api.host.createEnrollmentToken.mutate()).token);
// One host alone in its own process (its figures are one agent's), the rest together.
const single = new Sim(tokens.slice(0, 1), 0);
const fleet = new Sim(tokens.slice(1), 1);
children.push(single.pid, fleet.pid);
const simOf = new Map<string, Sim>();
const hosts = [...(await single.hosts), ...(await fleet.hosts)];
for (const h of await single.hosts) for (const d of h.domains) simOf.set(d.uuid, single);
for (const h of await fleet.hosts) for (const d of h.domains) simOf.set(d.uuid, fleet);
log(`${hosts.length} hosts enrolled`);

// ---- 3. the VMs --------------------------------------------------------------------------------

const { templates, users, vms, closeDb } = await import('@vireo/db');
const template = await templates.byName('vireo-tiny');
const owner = await users.byUsername('admin');
if (!template || !owner) throw new Error('the seed made no template or admin');
const all: (SimDomain & { hostId: string })[] = hosts.flatMap((h) =>
  h.domains.map((d) => ({ ...d, hostId: h.hostId })),
);
let t = performance.now();
await vms.createMany(
  all.map((d) => ({
    uuid: d.uuid,
    name: d.name,
    hostId: d.hostId,
    templateId: template.id,
    ownerId: owner.id,
    vcpus: d.vcpus,
    memoryMiB: d.memoryMiB,
    state: d.state,
    stateReason: d.state === 'running' ? 'booted' : 'shutdown',
  })),
);
await closeDb();
results.seedMs = Math.round(performance.now() - t);
log(`${all.length} VMs recorded in ${results.seedMs} ms`);

// Agents start spread over one stats interval, as a fleet's do (each samples on its own clock
// from its start): all at once, their 100 stats samples would land in the same instant every
// interval, a burst no real fleet makes. --stagger-ms 0 starts them together (a reconnect storm).
const staggerMs = Number(args['stagger-ms'] ?? Math.floor(Number(args['stats-ms']) / HOSTS));
results.agentStartSpreadMs = staggerMs * (HOSTS - 1);
t = performance.now();
single.send({ t: 'start', staggerMs: 0 });
fleet.send({ t: 'start', staggerMs });
await Promise.all([single.next('started'), fleet.next('started')]);
for (;;) {
  const list = await api.host.list.query();
  const online = list.filter((h) => h.status === 'online').length;
  if (online >= HOSTS) break;
  if (performance.now() - t > 300_000) throw new Error(`only ${online} of ${HOSTS} hosts online after 300 s`);
  await sleep(250);
}
results.allOnlineMs = Math.round(performance.now() - t);
log(
  `all ${HOSTS} hosts online ${results.allOnlineMs} ms after the first agent started (spread ${results.agentStartSpreadMs} ms)`,
);
// Let the first full states' work drain before measuring.
await sleep(5000);

// ---- 4a. live clients, then single changes -------------------------------------------------

log(`opening ${CLIENTS} logged-in live streams`);
const state = new Map(all.map((d) => [d.uuid, d.state as string]));
type Arrival = (uuid: string, state: string, at: number) => void;
const listeners: Arrival[][] = [];
const counts: { messages: number; bytes: number; reconnects?: number } = { messages: 0, bytes: 0 };
const clients = [];
for (let c = 0; c < CLIENTS; c++) {
  const cookie = await login(manager.url, 'admin', adminPassword);
  const mine: Arrival[] = [];
  listeners.push(mine);
  clients.push(
    openLive(
      manager.url,
      cookie,
      (v, at) => {
        for (const l of mine) l(v.uuid, v.state, at);
      },
      counts,
    ),
  );
}
await Promise.all(clients.map((c) => c.opened));

/** Resolves with each client's arrival time of (uuid, state), or NaN for those that missed it. */
function arrivals(uuid: string, want: string, timeoutMs: number): Promise<number[]> {
  return Promise.all(
    listeners.map(
      (mine) =>
        new Promise<number>((resolve) => {
          const l: Arrival = (u, s, at) => {
            if (u !== uuid || s !== want) return;
            done(at);
          };
          const timer = setTimeout(() => done(Number.NaN), timeoutMs);
          const done = (at: number) => {
            clearTimeout(timer);
            const i = mine.indexOf(l);
            if (i >= 0) mine.splice(i, 1);
            resolve(at);
          };
          mine.push(l);
        }),
    ),
  );
}

log(`${CHANGES} single changes (virsh suspend/resume behind Vireo's back), each to all ${CLIENTS} streams`);
const running = all.filter((d) => d.state === 'running').map((d) => d.uuid);
const single_ms: number[] = [];
let missed = 0;
for (let i = 0; i < CHANGES; i++) {
  const uuid = running[Math.floor(Math.random() * running.length)] as string;
  const sim = simOf.get(uuid) as Sim;
  const want = state.get(uuid) === 'running' ? 'paused' : 'running';
  const seen = arrivals(uuid, want, 10_000);
  const changed = sim.next('changed', (r) => r.uuid === uuid);
  sim.send({ t: 'change', uuid });
  const { at, state: now } = await changed;
  state.set(uuid, now);
  for (const a of await seen) {
    if (Number.isNaN(a)) missed++;
    else single_ms.push(a - at);
  }
  await sleep(50 + Math.random() * 100);
}
results.liveChange = { ...summary(single_ms), missed, target: 'p95 < 300 ms' };
log(`live change → stream: ${JSON.stringify(results.liveChange)}`);

// ---- 4b. vm.create through the API against the simulated hosts ----------------------------

if (CREATES > 0) {
  log(`${CREATES} VMs created through vm.create (real path: placement, task, agent request)`);
  const createMs: number[] = [];
  for (let i = 0; i < CREATES; i++) {
    const t0 = performance.now();
    const { taskId } = await api.vm.create.mutate({
      name: `scale-api-${Date.now().toString(36)}-${i}`,
      templateId: template.id,
      vcpus: 1,
      memoryMiB: 128,
      start: false,
    });
    const task = await waitTask(api, taskId);
    if (task.state !== 'succeeded') throw new Error(`vm.create failed: ${task.errorMessage}`);
    createMs.push(performance.now() - t0);
  }
  results.apiCreate = summary(createMs);
  log(`vm.create → task succeeded: ${JSON.stringify(results.apiCreate)}`);
}

// ---- 4c. quiet window: agent and manager cost at rest (stats + libvirt checks only) ------------

async function measureWindow(ms: number) {
  const [s0, f0] = await Promise.all([single.usage(), fleet.usage()]);
  const p0 = manager.probe().length;
  await sleep(ms);
  const [s1, f1] = await Promise.all([single.usage(), fleet.usage()]);
  const probe = manager.probe().slice(p0);
  const cpuPct = (a: { cpuUserUs: number; cpuSystemUs: number }, b: typeof a) =>
    Math.round(((b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000 / ms) * 1000) / 10;
  const first = probe[0];
  const last = probe.at(-1);
  return {
    oneAgent: { rssMiB: Math.round(s1.rssBytes / MiB), cpuPercent: cpuPct(s0, s1), connected: s1.connected },
    fleet: {
      agents: HOSTS - 1,
      rssMiB: Math.round(f1.rssBytes / MiB),
      cpuPercent: cpuPct(f0, f1),
      cpuPercentPerAgent: Math.round((cpuPct(f0, f1) / (HOSTS - 1)) * 100) / 100,
      connected: f1.connected,
    },
    manager: managerFigures(probe, first, last),
  };
}

function managerFigures(probe: ProbeLine[], first?: ProbeLine, last?: ProbeLine) {
  const secs = first && last ? (last.at - first.at) / 1000 : 0;
  const cpu =
    first && last && secs > 0
      ? Math.round((last.cpuUserUs + last.cpuSystemUs - first.cpuUserUs - first.cpuSystemUs) / 1e4 / secs)
      : Number.NaN;
  return {
    rssMaxMiB: Math.round(Math.max(...probe.map((p) => p.rssBytes)) / MiB),
    heapMaxMiB: Math.round(Math.max(...probe.map((p) => p.heapUsedBytes)) / MiB),
    cpuPercent: cpu,
    loopDelayP99MaxMs: Math.max(...probe.map((p) => p.loopP99Ms)),
    loopDelayMaxMs: Math.max(...probe.map((p) => p.loopMaxMs)),
  };
}

noteLoad('beforeQuiet');
log(`quiet window of ${QUIET_MS / 1000} s (stats every ${args['stats-ms']} ms, libvirt checks every 3 s)`);
results.quiet = await measureWindow(QUIET_MS);
log(`quiet: ${JSON.stringify(results.quiet)}`);

// ---- 4d. the storm -------------------------------------------------------------------------

noteLoad('beforeStorm');
log(`storm: all ${all.length} VMs change state within ${STORM_MS / 1000} s, ${CLIENTS} streams open`);
const index = new Map(all.map((d, i) => [d.uuid, i]));
const expected = all.map((d) => (state.get(d.uuid) === 'running' ? 'paused' : 'running'));
const firstSeen = listeners.map(() => new Float64Array(all.length).fill(Number.NaN));
for (const [c, mine] of listeners.entries()) {
  mine.push((uuid, s, at) => {
    const i = index.get(uuid);
    const seen = firstSeen[c] as Float64Array;
    if (i !== undefined && s === expected[i] && Number.isNaN(seen[i])) seen[i] = at;
  });
}
const p0 = manager.probe().length;
const [u0s, u0f] = await Promise.all([single.usage(), fleet.usage()]);
const stormStart = Date.now();
const done = Promise.all([single.next('stormDone'), fleet.next('stormDone')]);
single.send({ t: 'storm', durationMs: STORM_MS });
fleet.send({ t: 'storm', durationMs: STORM_MS });
const changes = (await done).flatMap((r) => r.changes);
const stormSent = Date.now();
// Wait until every stream has every change, or 60 s more.
const complete = () => firstSeen.every((seen) => seen.every((v) => !Number.isNaN(v)));
while (!complete() && Date.now() - stormSent < 60_000) await sleep(250);
const stormEnd = Date.now();
const [u1s, u1f] = await Promise.all([single.usage(), fleet.usage()]);
const probe = manager.probe().slice(p0);

const buckets = new Map<number, number[]>();
const allLat: number[] = [];
let stormMissed = 0;
let lastArrival = 0;
for (const [uuid, at] of changes) {
  const i = index.get(uuid) as number;
  const bucket = Math.floor((at - stormStart) / 10_000) * 10;
  const list = buckets.get(bucket) ?? [];
  buckets.set(bucket, list);
  for (const seen of firstSeen) {
    const a = seen[i] as number;
    if (Number.isNaN(a)) {
      stormMissed++;
      continue;
    }
    list.push(a - at);
    allLat.push(a - at);
    lastArrival = Math.max(lastArrival, a);
  }
}
const lastSent = Math.max(...changes.map(([, at]) => at));
const cpuPct = (a: Report & { t: 'usage' }, b: Report & { t: 'usage' }, ms: number) =>
  Math.round(((b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000 / ms) * 1000) / 10;
results.storm = {
  changes: changes.length,
  sentOverMs: stormSent - stormStart,
  deliveries: allLat.length,
  missed: stormMissed,
  latency: summary(allLat),
  latencyBy10s: [...buckets.entries()].sort(([a], [b]) => a - b).map(([s, v]) => ({ fromS: s, ...summary(v) })),
  lastChangeToLastArrivalMs: lastArrival - lastSent,
  drainedAfterMs: stormEnd - stormSent,
  manager: managerFigures(probe, probe[0], probe.at(-1)),
  oneAgentCpuPercent: cpuPct(u0s, u1s, stormEnd - stormStart),
  fleetCpuPercentPerAgent: Math.round((cpuPct(u0f, u1f, stormEnd - stormStart) / (HOSTS - 1)) * 100) / 100,
  streamMessages: counts.messages,
  streamReconnects: counts.reconnects ?? 0,
};
log(`storm: ${JSON.stringify(results.storm)}`);

noteLoad('afterStorm');
results.connectionResetsRetried = connectionResets;
const allProbe = manager.probe();
results.managerOverall = managerFigures(allProbe, allProbe[0], allProbe.at(-1));

// ---- done --------------------------------------------------------------------------------------

const out = join(dir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
log(`results written to ${out}`);
for (const c of clients) c.close();
await Promise.all([single.stop(), fleet.stop()]);
await manager.stop();
children.length = 0;
process.exit(0);
