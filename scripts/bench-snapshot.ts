/**
 * Snapshot benchmark (issue 7): create and revert for a 256 MiB guest, with and without memory,
 * through Vireo's API against `virsh snapshot-create-as` / `snapshot-revert` on the same guest
 * in the same run (run inside its lab host with nsenter, as an admin would; the virsh process
 * start is part of its time, as Vireo's HTTP request and task rows are part of Vireo's).
 * Vireo's clock runs from the mutation until the task reads succeeded (polled every 20 ms).
 * Rounds interleave Vireo and virsh (alternating who goes first); the snapshots of a round are
 * deleted (untimed) before the next. Memory: the guest runs; disk-only: it is shut off.
 * Goal: median(Vireo) / median(virsh) ≤ 1.1.
 *
 *   BENCH_ROUNDS=5 VIREO_LAB_NAME=vdev5 VIREO_PORT=3105 node --import tsx scripts/bench-snapshot.ts
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
const { hostOfDomain, virsh, waitFor } = await import('../tests/support/lab.ts');
const { serialText } = await import('../tests/support/guest-serial.ts');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GOAL = 1.1;
const { api } = await admin();
type Api = typeof api;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function timedTask(start: () => Promise<{ taskId: string }>): Promise<number> {
  const t0 = performance.now();
  const { taskId } = await start();
  for (;;) {
    const t = await api.task.byId.query({ taskId });
    if (t.state === 'succeeded') return performance.now() - t0;
    if (t.state === 'failed') throw new Error(`${t.kind} failed: ${t.errorMessage}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function ok(api: Api, p: Promise<{ taskId: string }>) {
  const t = await waitTask(api, (await p).taskId, 120_000);
  if (t.state !== 'succeeded') throw new Error(`${t.kind} failed: ${t.errorMessage}`);
}

const template = await defaultTemplate(api);
const { taskId, vmId } = await api.vm.create.mutate({
  name: uniqueName('bench-snap'),
  templateId: template.id,
  vcpus: 1,
  memoryMiB: 256,
  start: true,
});
await ok(api, Promise.resolve({ taskId }));
const vm = await api.vm.byId.query({ vmId });
const host = await hostOfDomain(vm.uuid);
if (!host) throw new Error('the bench VM is on no lab host');
await waitFor('READY', async () => serialText(vm.uuid).includes('READY'), 60_000, 250);

async function virshTimed(...args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await virsh(host as NonNullable<typeof host>, ...args);
  const ms = performance.now() - t0;
  if (r.code !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr}`);
  return ms;
}

const results: Record<string, { vireo: number[]; virsh: number[] }> = {};
const record = (k: string, who: 'vireo' | 'virsh', ms: number) => {
  results[k] ??= { vireo: [], virsh: [] };
  results[k][who].push(ms);
};

async function round(i: number, memory: boolean) {
  const kind = memory ? 'memory' : 'disk-only';
  const a = `v${i}${memory ? 'm' : 'd'}`;
  const b = `x${i}${memory ? 'm' : 'd'}`;
  const vireoCreate = async () =>
    record(
      `create ${kind}`,
      'vireo',
      await timedTask(() => api.snapshot.create.mutate({ vmId, name: a, withMemory: memory })),
    );
  const virshCreate = async () =>
    record(
      `create ${kind}`,
      'virsh',
      await virshTimed('snapshot-create-as', vm.uuid, b, ...(memory ? [] : ['--atomic'])),
    );
  const vireoRevert = async () =>
    record(`revert ${kind}`, 'vireo', await timedTask(() => api.snapshot.revert.mutate({ vmId, name: a })));
  const virshRevert = async () => record(`revert ${kind}`, 'virsh', await virshTimed('snapshot-revert', vm.uuid, b));
  const firstVireo = i % 2 === 0;
  for (const step of firstVireo ? [vireoCreate, virshCreate] : [virshCreate, vireoCreate]) await step();
  for (const step of firstVireo ? [vireoRevert, virshRevert] : [virshRevert, vireoRevert]) await step();
  // Untimed clean-up, so every round starts with the same (empty) snapshot tree.
  await ok(api, api.snapshot.delete.mutate({ vmId, name: a }));
  await ok(api, api.snapshot.delete.mutate({ vmId, name: b }));
}

console.log(
  `snapshot bench: ${ROUNDS} rounds, 256 MiB guest ${vm.name} on ${host.name}, load ${loadavg()[0]?.toFixed(2)}`,
);
for (let i = 0; i < ROUNDS; i++) await round(i, true);
await ok(api, api.vm.forceOff.mutate({ vmId }));
for (let i = 0; i < ROUNDS; i++) await round(i, false);
await ok(api, api.vm.delete.mutate({ vmId }));

console.log('| operation | Vireo median | virsh median | ratio |');
console.log('| --- | --- | --- | --- |');
for (const [k, r] of Object.entries(results)) {
  const ratio = median(r.vireo) / median(r.virsh);
  console.log(
    `| ${k} | ${median(r.vireo).toFixed(0)} ms | ${median(r.virsh).toFixed(0)} ms | ${ratio.toFixed(2)}${ratio <= GOAL ? '' : ' (over 1.1)'} |`,
  );
}
console.log(`load after: ${loadavg()[0]?.toFixed(2)}`);
