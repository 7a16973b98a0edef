/**
 * HA benchmark (issue 9): host death → HA VM running elsewhere. Each run puts one HA VM on a lab
 * host, powers that host off (`lab.sh poweroff`: every process in its namespace killed, as a
 * power cut), and measures until libvirt on another host runs the VM (virsh, not Vireo's word).
 * The breakdown comes from watching the dead host's HA state (haSettings.fence: dead → fencing →
 * fenced) every 200 ms: detection (power off → 'dead'), fencing ('dead' → 'fenced'), restart
 * ('fenced' → running elsewhere). Between runs: the host is powered on and its agent restarted
 * (untimed), the VM moved back. Prints median and worst against the goal (≤ 30 s) and Proxmox's
 * documented ~120 s (its HA stack waits for the lost node's watchdog to fence it, 60 s, plus
 * recovery).
 *
 *   BENCH_RUNS=10 VIREO_LAB_NAME=vbench VIREO_PORT=3109 node --import tsx scripts/bench-ha.ts
 *
 * Needs a stack up (scripts/up.sh) with 3 lab hosts on shared storage, root (virsh in the lab
 * hosts), and the HA parts of issue 9 (lab.sh poweroff/poweron, fence_vireo_lab, the monitor).
 * The lab host gets the fence device fence_vireo_lab plug=<host> for the runs.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const labName = process.env.VIREO_LAB_NAME ?? 'vireo';
const port = process.env.VIREO_PORT ?? '3000';
const stackDir = process.env.VIREO_STACK_DIR ?? `${process.cwd()}/var/${labName}`;
process.env.VIREO_TEST_URL ??= `http://127.0.0.1:${port}`;
process.env.VIREO_TEST_ADMIN_PASSWORD ??= readFileSync(`${stackDir}/admin-password`, 'utf8').trim();
process.env.VIREO_TEST_LAB_JSON ??= `/var/lib/vireo-lab/${labName}/lab.json`;

const { admin, createTestVm, removeVms, waitTask } = await import('../tests/support/api.ts');
const { domState, lab, labHostsAllOnline, waitFor } = await import('../tests/support/lab.ts');

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const GOAL_S = 30;
const PROXMOX_S = 120;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('BENCH_RUNS must be a positive integer');
if (lab().hosts.length < 2) throw new Error('the lab needs at least 2 hosts');
const { api } = await admin();

const labSh = (...args: string[]) => exec('bash', ['lab/lab.sh', ...args], { timeout: 120_000 });
const stackCtl = (...args: string[]) =>
  exec('bash', ['scripts/stack-ctl.sh', ...args], {
    timeout: 120_000,
    env: { ...process.env, STACK_NAME: labName, STACK_DIR: stackDir, STACK_PORT: port },
  });

/** The lab hosts running the domain now (libvirt's word); more than one would be a double run. */
async function runningOn(uuid: string): Promise<string[]> {
  const out: string[] = [];
  for (const h of lab().hosts) if ((await domState(h, uuid).catch(() => null)) === 'running') out.push(h.name);
  return out;
}

type Run = {
  run: number;
  host: string;
  to: string;
  totalMs: number;
  detectMs: number;
  fenceMs: number;
  restartMs: number;
};
const runs: Run[] = [];
const vmIds: string[] = [];
const fenced = new Set<string>();
const ms = (n: number) => `${(n / 1000).toFixed(1)} s`;

try {
  const { vmId } = await createTestVm(api, 'bench-ha');
  vmIds.push(vmId);
  const vm0 = await api.vm.byId.query({ vmId });
  const ha = await api.haSettings.setVm.mutate({ vmId, enabled: true, priority: 50, dependsOnVmId: null });
  if (ha.warning) console.log(`# admission warning: ${ha.warning}`);
  for (let run = 1; run <= RUNS; run++) {
    // The host of run n: round robin, so every lab host dies in turn.
    const victim = lab().hosts[(run - 1) % lab().hosts.length];
    if (!victim) throw new Error('no lab host');
    const hostRow = (await api.host.list.query()).find((h) => h.name === victim.name);
    if (!hostRow) throw new Error(`${victim.name} is not known to the manager`);
    if (!fenced.has(hostRow.id)) {
      await api.haSettings.setFence.mutate({
        hostId: hostRow.id,
        agent: 'fence_vireo_lab',
        options: { plug: victim.name },
      });
      fenced.add(hostRow.id);
    }
    const vm = await api.vm.byId.query({ vmId });
    if (vm.hostId !== hostRow.id) {
      const { taskId } = await api.vm.migrate.mutate({ vmId, targetHostId: hostRow.id });
      const t = await waitTask(api, taskId, 180_000);
      if (t.state !== 'succeeded') throw new Error(`moving the VM to ${victim.name} failed: ${t.errorMessage}`);
    }
    const before = await runningOn(vm0.uuid);
    if (before.join() !== victim.name) throw new Error(`run ${run}: the VM runs on ${before.join(', ') || 'no host'}`);
    // A few heartbeats after the move, so peers have seen the victim's heartbeat lately.
    await new Promise((r) => setTimeout(r, 3000));

    const load = loadavg()[0]?.toFixed(1);
    const started = Date.now();
    await labSh('poweroff', '--name', labName, victim.name);
    const seen: Record<string, number> = {};
    let where: string[] = [];
    let doubleRuns = 0;
    await waitFor(
      `the VM running away from ${victim.name}`,
      async () => {
        const state = (await api.haSettings.fence.query({ hostId: hostRow.id }).catch(() => null))?.haState;
        if (state && seen[state] === undefined) seen[state] = Date.now() - started;
        where = await runningOn(vm0.uuid);
        if (where.length > 1) doubleRuns++;
        return where.length === 1 && where[0] !== victim.name;
      },
      300_000,
      200,
    );
    const totalMs = Date.now() - started;
    if (doubleRuns > 0) throw new Error(`run ${run}: the VM ran on two hosts at ${doubleRuns} polls`);
    const detectMs = seen.dead ?? seen.fencing ?? seen.fenced ?? Number.NaN;
    const fencedAt = seen.fenced ?? Number.NaN;
    const r: Run = {
      run,
      host: victim.name,
      to: where[0] ?? '?',
      totalMs,
      detectMs,
      fenceMs: fencedAt - detectMs,
      restartMs: totalMs - fencedAt,
    };
    runs.push(r);
    console.log(
      `# run ${run}: ${victim.name} off → VM running on ${r.to} after ${ms(totalMs)} (detected ${ms(detectMs)}, fenced +${ms(r.fenceMs)}, restarted +${ms(r.restartMs)}; load ${load})`,
    );
    const timeline = (await api.event.listForHost.query({ hostId: hostRow.id }))
      .filter((e) => e.kind.startsWith('ha') && new Date(e.at).getTime() >= started - 1000)
      .reverse();
    for (const e of timeline) console.log(`#   ${ms(new Date(e.at).getTime() - started)}  ${e.kind}: ${e.message}`);

    // Untimed: power the host back on, restart its agent, wait until every host is online.
    await labSh('poweron', '--name', labName, victim.name);
    await stackCtl('start-agents');
    await waitFor('every host online', async () => labHostsAllOnline(await api.host.list.query()), 180_000, 500);
    await waitFor(
      `${victim.name} HA ok`,
      async () => (await api.haSettings.fence.query({ hostId: hostRow.id })).haState === 'ok',
      120_000,
      500,
    );
    // The host came back with the VM still defined (shut off) from before: Vireo removes that
    // stale definition itself (services/ha/stale-copies.ts) before the next run.
    await waitFor(
      `the stale definition on ${victim.name} removed`,
      async () =>
        !(
          await labSh(
            'exec',
            '--name',
            labName,
            victim.name,
            '--',
            'virsh',
            '-q',
            '-c',
            'qemu:///system',
            'domstate',
            vm0.uuid,
          ).then(
            (r) => r.stdout,
            () => '',
          )
        ).includes('shut off'),
      60_000,
      500,
    );
  }
} finally {
  for (const hostId of fenced) await api.haSettings.setFence.mutate({ hostId, agent: '', options: {} }).catch(() => {});
  await removeVms(api, vmIds).catch((err) => console.error(`# could not remove the bench VMs: ${err}`));
}

const sorted = runs.map((r) => r.totalMs).sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const worst = sorted[sorted.length - 1] ?? Number.NaN;
console.log('\n| run | host | to | total | detected | fencing | restart |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of runs) {
  console.log(
    `| ${r.run} | ${r.host} | ${r.to} | ${ms(r.totalMs)} | ${ms(r.detectMs)} | ${ms(r.fenceMs)} | ${ms(r.restartMs)} |`,
  );
}
console.log(
  `\nhost death → VM running elsewhere over ${runs.length} runs: median ${ms(median(sorted))}, worst ${ms(worst)} ` +
    `(goal ≤ ${GOAL_S} s: ${worst <= GOAL_S * 1000 ? 'met' : 'NOT met'}; Proxmox documents ~${PROXMOX_S} s)`,
);
console.log(
  `median breakdown: detection ${ms(median(runs.map((r) => r.detectMs)))}, fencing ${ms(median(runs.map((r) => r.fenceMs)))}, restart ${ms(median(runs.map((r) => r.restartMs)))}`,
);
