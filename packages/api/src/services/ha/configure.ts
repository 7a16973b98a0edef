/**
 * High availability (issue 9): keeps every agent's HA configuration (`ha.configure`: heartbeat
 * interval, self-fence delay, the cluster's HA VMs) equal to the database. Each manager sends to
 * the agents connected to it: on connect, and on a short loop that sends only what changed (a
 * per-host hash of what was last sent), so a changed HA setting or HA VM set reaches every host
 * within a round whichever manager changed it.
 */
import { createHash } from 'node:crypto';
import { haSignals } from '@vireo/db';
import type { AgentParams } from '@vireo/protocol';
import { connections } from '../agent-registry.ts';
import { hostAgent } from '../agent-router.ts';

type HaConfigureParams = AgentParams<'ha.configure'>;

export const CONFIGURE_ROUND_MS = 2_000;

/** What was last sent to each host, by hash; a host missing here is sent its configuration. */
const lastSent = new Map<string, string>();
/** The last configure failure logged per host, so a round every 2 s does not repeat it. */
const warned = new Map<string, string>();
let timer: NodeJS.Timeout | undefined;

export function paramsOf(config: haSignals.HaClusterConfig): HaConfigureParams {
  return {
    intervalMs: Math.max(500, config.heartbeatIntervalS * 1000),
    selfFenceAfterMs: Math.max(2_000, config.selfFenceAfterS * 1000),
    haVmUuids: config.haVmUuids,
  };
}

function hashOf(params: HaConfigureParams): string {
  return createHash('sha256').update(JSON.stringify(params)).digest('hex');
}

async function sendTo(host: { id: string; name: string }, params: HaConfigureParams): Promise<void> {
  const hash = hashOf(params);
  if (lastSent.get(host.id) === hash) return;
  try {
    const agent = await hostAgent(host.id, host.name);
    await agent.request('ha.configure', params, { timeoutMs: 10_000 });
    lastSent.set(host.id, hash);
    warned.delete(host.id);
  } catch (err) {
    // The next round tries again (an older agent without HA, or a dropped connection); said once.
    const text = err instanceof Error ? err.message : String(err);
    if (warned.get(host.id) !== text) console.warn(`[ha] could not configure host ${host.name}: ${text}`);
    warned.set(host.id, text);
  }
}

/** A host's agent (re)connected here: it is sent its configuration now, whatever was sent before. */
export async function configureOnConnect(host: { id: string; name: string }): Promise<void> {
  lastSent.delete(host.id);
  try {
    const clusterId = await haSignals.clusterOfHost(host.id);
    const config = clusterId ? await haSignals.configOfCluster(clusterId) : null;
    if (config) await sendTo(host, paramsOf(config));
  } catch (err) {
    console.warn(`[ha] could not read the HA configuration of host ${host.name}:`, err);
  }
}

/** One round: every agent connected to this manager whose configuration changed. */
export async function configureRound(): Promise<void> {
  const byCluster = new Map<string, HaConfigureParams | null>();
  for (const [hostId, conn] of connections) {
    const clusterId = await haSignals.clusterOfHost(hostId);
    if (!clusterId) continue;
    if (!byCluster.has(clusterId)) {
      const config = await haSignals.configOfCluster(clusterId);
      byCluster.set(clusterId, config && paramsOf(config));
    }
    const params = byCluster.get(clusterId);
    if (params) await sendTo({ id: hostId, name: conn.hostName }, params);
  }
  for (const hostId of lastSent.keys()) if (!connections.has(hostId)) lastSent.delete(hostId);
}

export function startHaConfigure(): void {
  if (timer) return;
  let running = false;
  timer = setInterval(() => {
    if (running) return;
    running = true;
    configureRound()
      .catch((err) => console.error('[ha] configure round failed:', err))
      .finally(() => {
        running = false;
      });
  }, CONFIGURE_ROUND_MS);
  timer.unref();
}
