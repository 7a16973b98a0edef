/**
 * Prometheus `/metrics`: only with the bearer token (scripts/test.sh sets VIREO_METRICS_TOKEN),
 * and it reports the lab's agents and hosts, VMs by state as they change, and tRPC latency.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { admin, baseUrl, createTestVm, listAllVms, waitTask } from '../support/api.ts';
import { lab } from '../support/lab.ts';

const token = process.env.VIREO_METRICS_TOKEN ?? '';
const url = () => `${baseUrl()}/metrics`;

async function scrape(): Promise<string> {
  const res = await fetch(url(), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

/** The value of the one series with exactly this name and label text, or null. */
function value(text: string, series: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('without the right bearer token /metrics answers 401 and tells nothing', async () => {
  assert.ok(token.length >= 32, 'scripts/test.sh exports VIREO_METRICS_TOKEN');
  for (const headers of [{}, { authorization: `Bearer ${token}x` }, { authorization: token }] as Record<
    string,
    string
  >[]) {
    const res = await fetch(url(), { headers });
    assert.equal(res.status, 401);
    assert.equal(await res.text(), '');
  }
  const post = await fetch(url(), { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(post.status, 405);
});

test('reports the manager, the lab agents and per-host gauges for each lab host', async () => {
  const text = await scrape();
  assert.match(text, /^# TYPE vireo_manager_up gauge$/m);
  assert.equal(value(text, 'vireo_manager_up'), 1);
  assert.ok((value(text, 'vireo_manager_resident_memory_bytes') ?? 0) > 10_000_000);
  assert.ok((value(text, 'vireo_manager_uptime_seconds') ?? -1) >= 0);
  assert.ok((value(text, 'vireo_agents_connected') ?? 0) >= lab().hosts.length);
  assert.ok((value(text, 'vireo_hosts{status="online"}') ?? 0) >= lab().hosts.length);
  for (const host of lab().hosts) {
    for (const metric of ['cpu_usage_percent', 'memory_bytes', 'memory_free_bytes', 'vms']) {
      const re = new RegExp(`^vireo_host_${metric}\\{host="${escapeRe(host.name)}",host_id="[^"]+"\\} (\\S+)$`, 'm');
      const m = re.exec(text);
      assert.ok(m, `vireo_host_${metric} for ${host.name}`);
      assert.ok(Number.isFinite(Number(m[1])));
    }
    const mem = new RegExp(`^vireo_host_memory_bytes\\{host="${escapeRe(host.name)}",[^}]*\\} (\\d+)$`, 'm').exec(text);
    assert.ok(Number(mem?.[1]) > 0, `${host.name} has memory`);
  }
});

test('VMs by state follow a created VM, and recent tasks and tRPC latency are counted', async () => {
  const { api } = await admin();
  const before = await scrape();
  const stoppedBefore = value(before, 'vireo_vms{state="shutoff"}') ?? 0;
  const createsBefore = value(before, 'vireo_tasks_recent{kind="vm.create",state="succeeded"}') ?? 0;

  const { vmId, vm } = await createTestVm(api, 'metrics', { start: false });
  let deleted = false;
  after(async () => {
    if (!deleted) await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  });
  assert.equal(vm.state, 'shutoff');
  await listAllVms(api);
  // An unknown procedure must not become a label of its own.
  await fetch(`${baseUrl()}/api/trpc/no.such.procedure`);

  const during = await scrape();
  assert.equal(value(during, 'vireo_vms{state="shutoff"}'), stoppedBefore + 1);
  assert.equal(value(during, 'vireo_tasks_recent{kind="vm.create",state="succeeded"}'), createsBefore + 1);
  assert.match(during, /^# TYPE vireo_trpc_request_duration_seconds histogram$/m);
  assert.ok((value(during, 'vireo_trpc_request_duration_seconds_count{procedure="vm.list"}') ?? 0) >= 1);
  assert.ok((value(during, 'vireo_trpc_request_duration_seconds_count{procedure="vm.create"}') ?? 0) >= 1);
  assert.ok((value(during, 'vireo_trpc_request_duration_seconds_bucket{procedure="vm.list",le="+Inf"}') ?? 0) >= 1);
  assert.ok((value(during, 'vireo_trpc_request_duration_seconds_count{procedure="other"}') ?? 0) >= 1);
  assert.doesNotMatch(during, /no\.such\.procedure/);

  await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  deleted = true;
  const afterDelete = await scrape();
  assert.equal(value(afterDelete, 'vireo_vms{state="shutoff"}') ?? 0, stoppedBefore);
});
