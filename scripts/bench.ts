/**
 * Benchmarks on the running lab (`npm run up` first), printed against the targets:
 *   1. create (API call) → libvirt reports the domain running, for a linked clone (< 1.5 s)
 *   2. libvirt event → browser-facing live stream (SSE) latency, p95 (< 500 ms)
 * The event clock starts before `virsh` is spawned inside the lab host, so the figure
 * includes virsh's own start-up: an upper bound on Vireo's part.
 */
import { readFileSync } from 'node:fs';
import type { LiveChange } from '@vireo/api';

const stackDir = process.env.VIREO_STACK_DIR ?? `${process.cwd()}/var/vireo`;
process.env.VIREO_TEST_URL ??= `http://127.0.0.1:${process.env.VIREO_PORT ?? 3000}`;
process.env.VIREO_TEST_ADMIN_PASSWORD ??= readFileSync(`${stackDir}/admin-password`, 'utf8').trim();
process.env.VIREO_TEST_LAB_JSON ??= `/var/lib/vireo-lab/${process.env.VIREO_LAB_NAME ?? 'vireo'}/lab.json`;

const { admin, uniqueName, waitTask, watchChanges } = await import('../tests/support/api.ts');
const { domState, lab, virsh } = await import('../tests/support/lab.ts');

const CREATES = Number(process.env.BENCH_CREATES ?? 5);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const { api } = await admin();
const [template] = await api.template.list.query();
if (!template) throw new Error('no template: run `npm run up` first');

// 1. create → running in libvirt. We poll libvirt on every lab host every 10 ms.
const createMs: number[] = [];
const vmIds: string[] = [];
for (let i = 0; i < CREATES; i++) {
  const t0 = performance.now();
  const { vmId, taskId } = await api.vm.create.mutate({
    name: uniqueName('bench'),
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: true,
  });
  const vm = await api.vm.byId.query({ vmId });
  let ms = Number.NaN;
  while (performance.now() - t0 < 30_000) {
    const states = await Promise.all(lab().hosts.map((h) => domState(h, vm.uuid)));
    if (states.includes('running')) {
      ms = performance.now() - t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  createMs.push(ms);
  vmIds.push(vmId);
  await waitTask(api, taskId);
}

// 2. event latency: suspend/resume behind Vireo's back, time until the live stream shows it.
const eventMs: number[] = [];
const target = await api.vm.byId.query({ vmId: vmIds[0] as string });
const host = lab().hosts.find((h) => h.name === target.hostName) ?? lab().hosts[0];
let waiting: { state: string; resolve: (at: number) => void } | null = null;
const stop = watchChanges(api, (c: LiveChange) => {
  if (waiting && c.kind === 'vm' && c.vm.id === target.id && c.vm.state === waiting.state)
    waiting.resolve(performance.now());
});
await new Promise((r) => setTimeout(r, 500));
for (let i = 0; i < EVENTS; i++) {
  const state = i % 2 === 0 ? 'paused' : 'running';
  const seen = new Promise<number>((resolve) => {
    waiting = { state, resolve };
  });
  const t0 = performance.now();
  await virsh(host as never, state === 'paused' ? 'suspend' : 'resume', target.uuid);
  eventMs.push((await seen) - t0);
}
stop();

for (const vmId of vmIds) {
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
  await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
}

const fmt = (n: number) => `${Math.round(n)} ms`;
console.log(
  `create → libvirt running (n=${CREATES}): median ${fmt(pct(createMs, 50))}, p95 ${fmt(pct(createMs, 95))}, max ${fmt(Math.max(...createMs))}  target < 1500 ms: ${pct(createMs, 95) < 1500 ? 'MET' : 'MISSED'}`,
);
console.log(
  `libvirt event → live stream (n=${EVENTS}): median ${fmt(pct(eventMs, 50))}, p95 ${fmt(pct(eventMs, 95))}  target p95 < 500 ms: ${pct(eventMs, 95) < 500 ? 'MET' : 'MISSED'}`,
);
process.exit(0);
