/**
 * Maintenance benchmark (issue 8): a host with 10 small running VMs is put into maintenance, and
 * the time until its evacuation task ends is measured for each setting of the cluster's parallel
 * migrations per host (1, 2, 4 by default). Between rounds the host leaves maintenance and the
 * VMs are migrated back to it (untimed). Every round checks that each VM ends running on another
 * host, in libvirt as in Vireo.
 *
 *   BENCH_VMS=10 BENCH_PARALLEL=1,2,4 VIREO_LAB_NAME=vbench VIREO_PORT=3109 \
 *     node --import tsx scripts/bench-maintenance.ts
 *
 * Needs a stack up (scripts/up.sh) with at least 2 lab hosts, and root (virsh in the lab hosts).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const stackDir = process.env.VIREO_STACK_DIR ?? `${process.cwd()}/var/${process.env.VIREO_LAB_NAME ?? 'vireo'}`;
process.env.VIREO_TEST_URL ??= `http://127.0.0.1:${process.env.VIREO_PORT ?? 3000}`;
process.env.VIREO_TEST_ADMIN_PASSWORD ??= readFileSync(`${stackDir}/admin-password`, 'utf8').trim();
process.env.VIREO_TEST_LAB_JSON ??= `/var/lib/vireo-lab/${process.env.VIREO_LAB_NAME ?? 'vireo'}/lab.json`;

const { admin, defaultTemplate, removeVms, uniqueName, waitTask } = await import('../tests/support/api.ts');
const { hostOfDomain, lab } = await import('../tests/support/lab.ts');

const VM_COUNT = Number(process.env.BENCH_VMS ?? 10);
const PARALLEL = (process.env.BENCH_PARALLEL ?? '1,2,4').split(',').map(Number);
if (!Number.isInteger(VM_COUNT) || VM_COUNT < 1 || PARALLEL.some((p) => !Number.isInteger(p) || p < 1 || p > 16)) {
  throw new Error('BENCH_VMS must be a positive integer and BENCH_PARALLEL integers from 1 to 16');
}
const { api } = await admin();

const hostA = lab().hosts[0];
if (!hostA || lab().hosts.length < 2) throw new Error('the lab needs at least 2 hosts');
const tree = await api.inventory.tree.query();
const hostRow = tree.hosts.find((h) => h.name === hostA.name);
if (!hostRow) throw new Error(`host ${hostA.name} is not known to the manager`);
const hostAId = hostRow.id;
const clusterId = hostRow.clusterId;
const settingsBefore = await api.inventory.clusterSettings.query({ clusterId });

async function succeeded(taskId: string, what: string, timeoutMs = 600_000) {
  const t = await waitTask(api, taskId, timeoutMs);
  if (t.state !== 'succeeded') throw new Error(`${what} failed: ${t.errorCode} ${t.errorMessage}`);
  return t;
}

/** Every VM not on host A is migrated there, a few at a time (untimed set-up). */
async function gatherOnA(vmIds: string[]) {
  const away = [];
  for (const vmId of vmIds) if ((await api.vm.byId.query({ vmId })).hostId !== hostAId) away.push(vmId);
  for (let i = 0; i < away.length; i += 3) {
    const batch = away.slice(i, i + 3);
    const tasks = await Promise.all(batch.map((vmId) => api.vm.migrate.mutate({ vmId, targetHostId: hostAId })));
    await Promise.all(tasks.map((t, j) => succeeded(t.taskId, `moving ${batch[j]} to ${hostA?.name}`)));
  }
}

const template = await defaultTemplate(api);
const vmIds: string[] = [];
const rows: { parallel: number; totalMs: number; perVmMs: number }[] = [];
try {
  console.log(`# creating ${VM_COUNT} VMs (128 MiB, 1 vCPU), gathering them on ${hostA.name}`);
  for (let i = 0; i < VM_COUNT; i++) {
    const { taskId, vmId } = await api.vm.create.mutate({
      name: uniqueName(`bench-mnt${i}`),
      templateId: template.id,
      vcpus: 1,
      memoryMiB: 128,
      start: true,
    });
    vmIds.push(vmId);
    await succeeded(taskId, 'create');
  }
  for (const parallel of PARALLEL) {
    await gatherOnA(vmIds);
    await api.inventory.setClusterSettings.mutate({ clusterId, settings: { migrationParallelPerHost: parallel } });
    const load = loadavg()[0]?.toFixed(1);
    const started = Date.now();
    const { taskId } = await api.host.enterMaintenance.mutate({ hostId: hostAId });
    await succeeded(taskId, `maintenance of ${hostA.name} (parallel ${parallel})`, 1_800_000);
    const totalMs = Date.now() - started;
    for (const vmId of vmIds) {
      const vm = await api.vm.byId.query({ vmId });
      const where = await hostOfDomain(vm.uuid);
      if (vm.state !== 'running' || vm.hostId === hostAId || !where || where.name === hostA.name) {
        throw new Error(`${vm.name} is ${vm.state} on ${where?.name ?? 'no host'} after the maintenance`);
      }
    }
    rows.push({ parallel, totalMs, perVmMs: totalMs / VM_COUNT });
    console.log(
      `# parallel ${parallel}: ${VM_COUNT} VMs moved in ${(totalMs / 1000).toFixed(1)} s (load ${load} at start)`,
    );
    await api.host.exitMaintenance.mutate({ hostId: hostAId });
  }
} finally {
  await api.host.exitMaintenance.mutate({ hostId: hostAId }).catch(() => {});
  await api.inventory.setClusterSettings
    .mutate({ clusterId, settings: { migrationParallelPerHost: settingsBefore.migrationParallelPerHost } })
    .catch(() => {});
  await removeVms(api, vmIds);
}

const base = rows[0]?.totalMs ?? Number.NaN;
console.log('\n| parallel per host | total | per VM | speed-up vs first |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.parallel} | ${(r.totalMs / 1000).toFixed(1)} s | ${(r.perVmMs / 1000).toFixed(2)} s | ${(base / r.totalMs).toFixed(2)}× |`,
  );
}
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (${process.env.VIREO_LAB_NAME})`,
);
