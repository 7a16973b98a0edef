/**
 * Full-copy benchmark (issue 6): a qcow2 volume with real data (BENCH_COPY_MIB of random bytes,
 * 256 by default, made by this script in the `default` pool) copied through Vireo's storage API
 * (`storage.cloneVolume` mode full: a task, the agent, libvirt's StorageVolCreateXMLFrom) against
 * `qemu-img convert -O qcow2` of the same image into the same pool directory, in the same run,
 * rounds interleaved. Throughput = the image's data / wall time (for Vireo: from the mutation
 * until its task succeeded). Goal: Vireo ≥ 0.9 × qemu-img.
 *
 *   BENCH_ROUNDS=3 VIREO_LAB_NAME=vdev6 VIREO_PORT=3106 node --import tsx scripts/bench-copy.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';

const stackDir = process.env.VIREO_STACK_DIR ?? `${process.cwd()}/var/${process.env.VIREO_LAB_NAME ?? 'vireo'}`;
process.env.VIREO_TEST_URL ??= `http://127.0.0.1:${process.env.VIREO_PORT ?? 3000}`;
process.env.VIREO_TEST_ADMIN_PASSWORD ??= readFileSync(`${stackDir}/admin-password`, 'utf8').trim();
process.env.VIREO_TEST_LAB_JSON ??= `/var/lib/vireo-lab/${process.env.VIREO_LAB_NAME ?? 'vireo'}/lab.json`;

const { admin, uniqueName, waitTask } = await import('../tests/support/api.ts');
const { lab, virsh } = await import('../tests/support/lab.ts');
const { ensureDefaultPool, poolDir } = await import('../tests/support/hardware-fixtures.ts');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MIB = Number(process.env.BENCH_COPY_MIB ?? 256);
const GOAL = 0.9;
const SOURCE = `bench-copy-src-${MIB}m.qcow2`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
}

for (const host of lab().hosts) await ensureDefaultPool(host);
const dir = poolDir();
const sourcePath = `${dir}/${SOURCE}`;
if (!existsSync(sourcePath)) {
  // Random bytes do not compress and have no zero clusters: every byte is really copied.
  const raw = `${dir}/.bench-copy-src.raw`;
  execFileSync('dd', ['if=/dev/urandom', `of=${raw}`, 'bs=1M', `count=${MIB}`, 'status=none']);
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, sourcePath]);
  rmSync(raw);
}
for (const host of lab().hosts) await virsh(host, 'pool-refresh', 'default');
const bytes = MIB * 1024 ** 2;

const { api } = await admin();
const vireoMs: number[] = [];
const directMs: number[] = [];

async function vireoRound(): Promise<void> {
  const name = `${uniqueName('bcopy')}.qcow2`;
  const t0 = Date.now();
  const { taskId } = await api.storage.cloneVolume.mutate({
    pool: 'default',
    name,
    source: { pool: 'default', name: SOURCE },
    mode: 'full',
    format: 'qcow2',
  });
  const task = await waitTask(api, taskId, 600_000);
  if (task.state !== 'succeeded') throw new Error(`copy failed: ${task.errorMessage}`);
  // The task's own end time (same machine clock), not when our 100 ms poll noticed it.
  vireoMs.push(Date.parse(task.finishedAt ?? '') - t0);
  if (statSync(`${dir}/${name}`).size < bytes) throw new Error('the copy is smaller than its data');
  await waitTask(api, (await api.storage.deleteVolume.mutate({ pool: 'default', name })).taskId);
}

function directRound(): void {
  const target = `${dir}/${uniqueName('bcopyd')}.qcow2`;
  const t0 = performance.now();
  execFileSync('qemu-img', ['convert', '-q', '-f', 'qcow2', '-O', 'qcow2', sourcePath, target]);
  directMs.push(performance.now() - t0);
  rmSync(target);
}

const load0 = loadavg();
for (let i = 0; i < ROUNDS; i++) {
  if (i % 2 === 0) {
    await vireoRound();
    directRound();
  } else {
    directRound();
    await vireoRound();
  }
}
for (const host of lab().hosts) await virsh(host, 'pool-refresh', 'default');
const load1 = loadavg();

const mbps = (ms: number) => bytes / 1024 ** 2 / (ms / 1000);
const ratio = median(directMs) / median(vireoMs);
const ms = (v: number[]) => v.map((x) => Math.round(x)).join(', ');
console.log(
  `full copy of ${MIB} MiB (qcow2, random data), ${ROUNDS} interleaved rounds (load average ${load0[0].toFixed(1)} → ${load1[0].toFixed(1)})`,
);
console.log(
  `  Vireo (storage.cloneVolume full, task): median ${mbps(median(vireoMs)).toFixed(0)} MiB/s  [${ms(vireoMs)} ms]`,
);
console.log(
  `  qemu-img convert:                       median ${mbps(median(directMs)).toFixed(0)} MiB/s  [${ms(directMs)} ms]`,
);
console.log(
  `  ratio (Vireo / qemu-img throughput): ${ratio.toFixed(2)}  goal ≥ ${GOAL}: ${ratio >= GOAL ? 'met' : 'missed'}`,
);
process.exit(0);
