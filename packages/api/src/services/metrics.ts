/**
 * What `/metrics` reports: the manager process, agent connections, hosts, VMs, recent tasks and
 * tRPC latency. Read per scrape from a few grouped/narrow queries and the in-memory registries,
 * so a scrape costs the same whatever the number of VMs' events.
 */
import { hosts, tasks, vms } from '@vireo/db';
import { connectedHostCount } from './agent-registry.ts';
import { Histogram, type MetricFamily } from './metrics-format.ts';

/** Tasks are reported for those created in this window (the `createdAt` index keeps it cheap). */
export const TASK_WINDOW_S = 3600;

/** Seconds; from a fast query up to a create that waits for its host. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Procedure paths not in the router are counted under this one label, keeping cardinality bounded. */
export const OTHER_PROCEDURE = 'other';

const trpcLatency = new Histogram('procedure', LATENCY_BUCKETS);

/**
 * One tRPC HTTP request finished after `seconds`. A batch counts the request's duration once for
 * each procedure in it (they are answered together). Paths must already be folded to known names.
 */
export function recordTrpcRequest(procedures: readonly string[], seconds: number): void {
  for (const p of procedures) trpcLatency.observe(p, seconds);
}

const startedAt = Date.now();

/** Alert webhook POSTs by outcome: `ok`, `retried` (an attempt failed, another follows), `failed` (gave up), `dropped` (queue full). */
const webhookOutcomes = new Map<string, number>();

export function recordAlertWebhook(outcome: 'ok' | 'retried' | 'failed' | 'dropped'): void {
  webhookOutcomes.set(outcome, (webhookOutcomes.get(outcome) ?? 0) + 1);
}

export async function collectMetrics(): Promise<MetricFamily[]> {
  const since = new Date(Date.now() - TASK_WINDOW_S * 1000);
  const [hostRows, vmStates, hostLoads, taskCounts] = await Promise.all([
    hosts.gauges(),
    vms.countByState(),
    vms.countByHost(),
    tasks.countByKindAndState(since),
  ]);
  const vmCount = new Map(hostLoads.map((l) => [l.hostId, l.vmCount]));
  const byStatus = new Map<string, number>();
  for (const h of hostRows) byStatus.set(h.status, (byStatus.get(h.status) ?? 0) + 1);
  // Names need not be unique: the id keeps two same-named hosts' series apart.
  const host = (h: (typeof hostRows)[number]) => ({ host: h.name, host_id: h.id });

  return [
    { name: 'vireo_manager_up', help: 'The manager answers.', type: 'gauge', samples: [{ value: 1 }] },
    {
      name: 'vireo_manager_resident_memory_bytes',
      help: 'Resident memory of the manager process.',
      type: 'gauge',
      samples: [{ value: process.memoryUsage.rss() }],
    },
    {
      name: 'vireo_manager_uptime_seconds',
      help: 'Seconds since the manager process started serving.',
      type: 'gauge',
      samples: [{ value: Math.round((Date.now() - startedAt) / 1000) }],
    },
    {
      name: 'vireo_agents_connected',
      help: 'Host agents connected to this manager.',
      type: 'gauge',
      samples: [{ value: connectedHostCount() }],
    },
    {
      name: 'vireo_hosts',
      help: 'Hosts known to the manager, by status.',
      type: 'gauge',
      samples: [...byStatus].map(([status, value]) => ({ labels: { status }, value })),
    },
    {
      name: 'vireo_host_cpu_usage_percent',
      help: "A host's latest CPU usage in percent.",
      type: 'gauge',
      samples: hostRows.map((h) => ({ labels: host(h), value: h.cpuUsagePercent })),
    },
    {
      name: 'vireo_host_memory_bytes',
      help: "A host's total memory.",
      type: 'gauge',
      samples: hostRows.map((h) => ({ labels: host(h), value: h.memoryBytes })),
    },
    {
      name: 'vireo_host_memory_free_bytes',
      help: "A host's latest free memory.",
      type: 'gauge',
      samples: hostRows.map((h) => ({ labels: host(h), value: h.memoryFreeBytes })),
    },
    {
      name: 'vireo_host_vms',
      help: 'Vireo VMs placed on a host.',
      type: 'gauge',
      samples: hostRows.map((h) => ({ labels: host(h), value: vmCount.get(h.id) ?? 0 })),
    },
    {
      name: 'vireo_vms',
      help: 'Vireo VMs by state.',
      type: 'gauge',
      samples: vmStates.map(({ state, count }) => ({ labels: { state }, value: count })),
    },
    {
      name: 'vireo_tasks_recent',
      help: `Tasks created in the last ${TASK_WINDOW_S} s, by kind and current state.`,
      type: 'gauge',
      samples: taskCounts.map(({ kind, state, count }) => ({ labels: { kind, state }, value: count })),
    },
    {
      name: 'vireo_alert_webhook_total',
      help: 'Alert webhook deliveries by outcome (ok, retried, failed, dropped).',
      type: 'counter',
      samples: [...webhookOutcomes].map(([outcome, value]) => ({ labels: { outcome }, value })),
    },
    {
      name: 'vireo_trpc_request_duration_seconds',
      help: 'tRPC HTTP requests until the response finished, by procedure (subscriptions excluded).',
      type: 'histogram',
      histograms: trpcLatency.snapshot(),
    },
  ];
}
