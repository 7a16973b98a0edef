/**
 * Live migration benchmark (issue 8): a 256 MiB guest moved between the same two lab hosts by
 * Vireo (API mutation until its task reads succeeded, polled every 20 ms) and by
 * `virsh migrate --live --p2p --persistent --unsafe` (run in the source lab host with nsenter, as
 * an admin would; the same flags as Vireo's agent: --unsafe because the lab's shared storage is
 * a plain directory). Downtime is libvirt's measured one in both cases (Vireo: its task's
 * figures; virsh: `domjobinfo --completed` on the source). After a virsh migration the source's
 * definition is undefined and Vireo is told where the VM went (vm.adopt), untimed.
 * Rounds alternate who goes first, so each tool migrates in both directions.
 * Conditions: idle guest, then a guest copying 64 MiB in memory in a loop (a memory writer).
 * Goals: total ≤ 1.1× virsh, downtime ≤ 1.2× virsh and ≤ 100 ms idle; the estimate Vireo gives
 * before each of its migrations within ±25 % of the measured duration.
 *
 *   BENCH_ROUNDS=5 VIREO_LAB_NAME=vdev3 VIREO_PORT=3103 node --import tsx scripts/bench-migrate.ts
 *
 * Needs a stack up (scripts/up.sh) and root (nsenter into the lab hosts).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const stackDir = process.env.VIREO_STACK_DIR ?? `${process.cwd()}/var/${process.env.VIREO_LAB_NAME ?? 'vireo'}`;
process.env.VIREO_TEST_URL ??= `http://127.0.0.1:${process.env.VIREO_PORT ?? 3000}`;
process.env.VIREO_TEST_ADMIN_PASSWORD ??= readFileSync(`${stackDir}/admin-password`, 'utf8').trim();
process.env.VIREO_TEST_LAB_JSON ??= `/var/lib/vireo-lab/${process.env.VIREO_LAB_NAME ?? 'vireo'}/lab.json`;

const { admin, defaultTemplate, uniqueName, waitTask } = await import('../tests/support/api.ts');
const { hostOfDomain, lab, virsh, waitFor } = await import('../tests/support/lab.ts');
const { guestRun, serialText, typeLine } = await import('../tests/support/guest-serial.ts');
type LabHost = ReturnType<typeof lab>['hosts'][number];

/** Rounds per condition; each round is one Vireo and one virsh migration. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const { api } = await admin();

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function ok(p: Promise<{ taskId: string }>) {
  const t = await waitTask(api, (await p).taskId, 180_000);
  if (t.state !== 'succeeded') throw new Error(`${t.kind} failed: ${t.errorMessage}`);
}

const hostIds = new Map((await api.host.list.query()).map((h) => [h.name, h.id]));
const idOf = (h: LabHost) => {
  const id = hostIds.get(h.name);
  if (!id) throw new Error(`host ${h.name} is not known to the manager`);
  return id;
};

const template = await defaultTemplate(api);
const created = await api.vm.create.mutate({
  name: uniqueName('bench-mig'),
  templateId: template.id,
  vcpus: 1,
  memoryMiB: 256,
  start: true,
});
await ok(Promise.resolve({ taskId: created.taskId }));
const vmId = created.vmId;
const vm = await api.vm.byId.query({ vmId });
const found = await hostOfDomain(vm.uuid);
if (!found) throw new Error('the bench VM is on no lab host');
const first: LabHost = found;
const second = lab().hosts.find((h) => h.name !== first.name) as LabHost;
await waitFor('READY', async () => serialText(vm.uuid).includes('READY'), 120_000, 250);
await waitFor(
  'the guest shell',
  async () => (await guestRun(first, vm.uuid, 'echo up', 15_000).catch(() => '')).trim() === 'up',
  90_000,
  0,
);

interface Sample {
  /** Wall clock from the request to the end, ms. */
  totalMs: number;
  /** libvirt's measured downtime, ms. */
  downtimeMs: number;
  /** Vireo only: the estimate shown before the migration. */
  estimateMs?: number;
  /** libvirt's job time (Vireo: as its agent read it; virsh: domjobinfo). */
  jobMs?: number;
}

const parseMs = (n: string, unit: string) => (unit === 's' ? Number(n) * 1000 : Number(n));

async function vireoMove(to: LabHost): Promise<Sample> {
  const targetHostId = idOf(to);
  const [check] = await api.vm.migrateCheck.query({ vmId, targetHostId });
  if (!check?.ok) throw new Error(`pre-checks fail: ${JSON.stringify(check?.checks.filter((c) => !c.ok))}`);
  const t0 = performance.now();
  const { taskId } = await api.vm.migrate.mutate({ vmId, targetHostId });
  for (;;) {
    const t = await api.task.byId.query({ taskId });
    if (t.state === 'failed') throw new Error(`vm.migrate failed: ${t.errorMessage}`);
    if (t.state === 'succeeded') {
      const totalMs = performance.now() - t0;
      const m = /: ([\d.]+) (s|ms), downtime (\d+) ms/.exec(t.message ?? '');
      if (!m) throw new Error(`no figures in the task's message: ${t.message}`);
      return {
        totalMs,
        jobMs: parseMs(m[1] as string, m[2] as string),
        downtimeMs: Number(m[3]),
        estimateMs: check.estimate?.durationMs ?? Number.NaN,
      };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function virshMove(from: LabHost, to: LabHost): Promise<Sample> {
  const t0 = performance.now();
  const r = await virsh(
    from,
    'migrate',
    '--live',
    '--p2p',
    '--persistent',
    '--unsafe',
    vm.uuid,
    `qemu+tcp://${to.address}/system`,
  );
  const totalMs = performance.now() - t0;
  if (r.code !== 0) throw new Error(`virsh migrate: ${r.stderr}`);
  const info = (await virsh(from, 'domjobinfo', '--completed', vm.uuid)).stdout;
  const downtime = /Total downtime:\s+(\d+)\s+ms/.exec(info);
  await virsh(from, 'undefine', vm.uuid);
  // Untimed: Vireo is told where the VM went (it saw the domain leave its recorded host).
  await waitFor(
    'Vireo to adopt the VM on its new host',
    async () =>
      api.vm.adopt
        .mutate({ vmId, hostId: idOf(to) })
        .then(async () => {
          const v = await api.vm.byId.query({ vmId });
          return v.hostName === to.name && v.state === 'running';
        })
        .catch(() => false),
    60_000,
    500,
  );
  const elapsed = /Time elapsed:\s+(\d+)\s+ms/.exec(info);
  if (!downtime || !elapsed) console.log(`  (virsh domjobinfo --completed: ${JSON.stringify(info)})`);
  return {
    totalMs,
    downtimeMs: downtime ? Number(downtime[1]) : Number.NaN,
    jobMs: elapsed ? Number(elapsed[1]) : Number.NaN,
  };
}

const results: Record<string, { vireo: Sample[]; virsh: Sample[] }> = {};

async function rounds(condition: string) {
  const r = { vireo: [] as Sample[], virsh: [] as Sample[] };
  results[condition] = r;
  for (let i = 0; i < ROUNDS; i++) {
    const v = await api.vm.byId.query({ vmId });
    const here = v.hostName === first.name ? first : second;
    const there = here === first ? second : first;
    if (i % 2 === 0) {
      r.vireo.push(await vireoMove(there));
      r.virsh.push(await virshMove(there, here));
    } else {
      r.virsh.push(await virshMove(here, there));
      r.vireo.push(await vireoMove(here));
    }
    const last = (s: Sample[]) => s[s.length - 1] as Sample;
    console.log(
      `  ${condition} round ${i + 1}: Vireo ${last(r.vireo).totalMs.toFixed(0)} ms (downtime ${last(r.vireo).downtimeMs} ms), ` +
        `virsh ${last(r.virsh).totalMs.toFixed(0)} ms (downtime ${last(r.virsh).downtimeMs} ms), load ${loadavg()[0]?.toFixed(2)}`,
    );
  }
}

console.log(
  `migration bench: ${ROUNDS} rounds per condition, 256 MiB guest ${vm.name}, ${first.name} <-> ${second.name}, load ${loadavg()[0]?.toFixed(2)}`,
);
await rounds('idle');
// The writer: 64 MiB of random data copied over and over in the guest's RAM-backed root.
const guestHost = async () => ((await api.vm.byId.query({ vmId })).hostName === first.name ? first : second);
await typeLine(
  await guestHost(),
  vm.uuid,
  'head -c 67108864 /dev/urandom > /tmp/src; while :; do cp /tmp/src /tmp/dst; done &',
);
await new Promise((r) => setTimeout(r, 5000));
await rounds('memory writer');
await ok(api.vm.forceOff.mutate({ vmId }));
await ok(api.vm.delete.mutate({ vmId }));

console.log(
  '| condition | Vireo total | virsh total | ratio (≤ 1.1) | libvirt job Vireo / virsh | Vireo downtime | virsh downtime | ratio (≤ 1.2) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [k, r] of Object.entries(results)) {
  const tv = median(r.vireo.map((s) => s.totalMs));
  const tx = median(r.virsh.map((s) => s.totalMs));
  const dv = median(r.vireo.map((s) => s.downtimeMs));
  const dx = median(r.virsh.map((s) => s.downtimeMs));
  const jv = median(r.vireo.map((s) => s.jobMs ?? Number.NaN));
  const jx = median(r.virsh.map((s) => s.jobMs ?? Number.NaN));
  const idleNote = k === 'idle' ? (dv <= 100 ? ', ≤ 100 ms' : ', over 100 ms') : '';
  console.log(
    `| ${k} | ${tv.toFixed(0)} ms | ${tx.toFixed(0)} ms | ${(tv / tx).toFixed(2)} | ${jv.toFixed(0)} / ${jx.toFixed(0)} ms | ${dv} ms | ${dx} ms | ${(dv / dx).toFixed(2)}${idleNote} |`,
  );
}
const all = Object.values(results).flatMap((r) => r.vireo);
const errors = all.map((s) => ((s.estimateMs ?? 0) - (s.jobMs ?? s.totalMs)) / (s.jobMs ?? s.totalMs));
const within = errors.filter((e) => Math.abs(e) <= 0.25).length;
console.log(
  `estimate vs measured (libvirt job time) over ${all.length} Vireo migrations: ` +
    all.map((s, i) => `${s.estimateMs}/${s.jobMs}ms (${((errors[i] ?? 0) * 100).toFixed(0)}%)`).join(', '),
);
console.log(
  `within ±25 %: ${within}/${all.length}; median |error| ${(median(errors.map(Math.abs)) * 100).toFixed(0)} %`,
);
console.log(`load after: ${loadavg()[0]?.toFixed(2)}`);
