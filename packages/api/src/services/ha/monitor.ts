/**
 * High availability (issue 9): the monitor. Every TICK_MS each manager looks at the clusters
 * that have an HA VM or a host not 'ok', and runs the ones whose monitor lease it holds or can
 * take (Cluster.haMonitorBy/haMonitorAt, compare-and-set, valid LEASE_MS, renewed every tick):
 * one manager per cluster runs it, and when that manager dies another takes over within
 * LEASE_MS. A tick is: snapshot from the database → `haStep` → executor. All state is in the
 * database, so the new holder goes on from where the old one stopped.
 */
import { haSignals } from '@vireo/db';
import { selfId } from '../cluster.ts';
import { startHaConfigure } from './configure.ts';
import { haStep } from './decide.ts';
import { executeHaActions } from './executor.ts';
import { loadHaSnapshot } from './loader.ts';

export const TICK_MS = 1_000;
export const LEASE_MS = 5_000;

let timer: NodeJS.Timeout | undefined;
let running = false;
/** Errors are logged once per cluster and message, not every second. */
const lastError = new Map<string, string>();

/** One tick over every watched cluster; exported for tests. */
export async function monitorTick(now: Date = new Date()): Promise<void> {
  for (const clusterId of await haSignals.clustersToWatch()) {
    try {
      if (!(await haSignals.claimMonitor(clusterId, selfId(), now, LEASE_MS))) continue;
      const snapshot = await loadHaSnapshot(clusterId, now.getTime());
      const { actions } = haStep(snapshot);
      await executeHaActions(snapshot, actions);
      lastError.delete(clusterId);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (lastError.get(clusterId) !== text) console.error(`[ha] monitor of cluster ${clusterId} failed:`, err);
      lastError.set(clusterId, text);
    }
  }
}

export function startHaMonitor(): void {
  if (timer) return;
  startHaConfigure();
  timer = setInterval(() => {
    if (running) return; // a slow tick (a loaded database) is not stacked
    running = true;
    monitorTick()
      .catch((err) => console.error('[ha] monitor tick failed:', err))
      .finally(() => {
        running = false;
      });
  }, TICK_MS);
  timer.unref();
}

/** On a clean stop: the leases go now, so another manager takes over without waiting for expiry. */
export async function stopHaMonitor(): Promise<void> {
  if (timer) clearInterval(timer);
  timer = undefined;
  await haSignals.releaseMonitors(selfId());
}
