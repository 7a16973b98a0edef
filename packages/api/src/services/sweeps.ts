/**
 * Sweeps of what Vireo left on hosts and no longer owns:
 * - image uploads still open VIREO_IMAGE_UPLOAD_ABANDON_H hours after they started: the part
 *   file goes (image.uploadAbort on its host) and the upload is marked failed. Hourly, and for a
 *   host when it connects (an offline host's part files wait for it).
 * - `vireo-*` libvirt networks and nwfilters on a host that no Network row (of its cluster, for
 *   it) and no SecurityGroup row owns: removed when the host connects, after the wanted ones were
 *   applied. libvirt refuses to remove one still in use by a domain: it stays, and is logged.
 * Each step is conditional or idempotent, so two managers sweeping at once do no harm.
 */
import { events, hosts, imageUploads, networks } from '@vireo/db';
import { libvirtNetworkName, securityGroupFilterName, toErrorPayload } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import { hostAgent } from './agent-router.ts';

const AGENT_TIMEOUT_MS = 30_000;
const UPLOAD_SWEEP_EVERY_MS = 3600_000;

let timer: NodeJS.Timeout | undefined;

/** Starts the hourly upload sweep (once per process). */
export function startUploadSweep(): void {
  if (timer) return;
  timer = setInterval(() => void sweepAbandonedUploads(), UPLOAD_SWEEP_EVERY_MS);
  timer.unref();
}

/** Abandoned uploads (of one host, when given) whose host is reachable now; returns how many went. */
export async function sweepAbandonedUploads(hostId?: string): Promise<number> {
  const hours = managerEnv().VIREO_IMAGE_UPLOAD_ABANDON_H;
  let swept = 0;
  try {
    for (const u of await imageUploads.openSince(new Date(Date.now() - hours * 3600_000), hostId)) {
      // The host must be reachable first: a row marked failed with its part file still there
      // could no longer be found by this sweep.
      const agent = await hostAgent(u.hostId, u.hostName ?? u.hostId).catch(() => null);
      if (!agent) continue;
      const message = `Abandoned: not finished within ${hours} h of starting; its part file was removed.`;
      if (!(await imageUploads.transition(u.id, ['open'], 'failed', { code: 'TIMEOUT', message }))) continue;
      try {
        await agent.request('image.uploadAbort', { uploadId: u.id, pool: u.pool }, { timeoutMs: AGENT_TIMEOUT_MS });
        swept++;
      } catch (err) {
        // Failed rows can still be cancelled, which removes the part file again.
        console.warn(`[uploads] could not remove the part file of upload ${u.id}:`, toErrorPayload(err).message);
      }
    }
  } catch (err) {
    console.error('[uploads] sweep failed:', err);
  }
  return swept;
}

/**
 * Removes `vireo-*` networks and filters on the host that nothing in the database owns. The host's
 * objects are listed before the rows are read, so one being made right now (row first, then
 * applied to hosts) is never taken for stale.
 */
export async function sweepStaleNetworks(hostId: string, hostName: string): Promise<string[]> {
  const host = await hosts.byId(hostId);
  if (!host) return [];
  const agent = await hostAgent(hostId, hostName);
  const onHost = (await agent.request('network.list', {}, { timeoutMs: AGENT_TIMEOUT_MS })).networks
    .map((n) => n.name)
    .filter((n) => n.startsWith('vireo-'));
  const filtersOnHost = (await agent.request('filter.list', {}, { timeoutMs: AGENT_TIMEOUT_MS })).names;
  const ownedNets = new Set((await networks.forHost(hostId, host.clusterId)).map((n) => libvirtNetworkName(n.name)));
  const ownedFilters = new Set((await networks.listGroups()).map((g) => securityGroupFilterName(g.id)));
  const removed: string[] = [];
  const remove = async (kind: 'network' | 'filter', name: string) => {
    try {
      const r = await agent.request(`${kind}.remove`, { name }, { timeoutMs: AGENT_TIMEOUT_MS });
      if (r.removed) removed.push(`${kind} ${name}`);
    } catch (err) {
      console.warn(`[host ${hostName}] stale ${kind} ${name} kept:`, toErrorPayload(err).message);
    }
  };
  for (const name of onHost) if (!ownedNets.has(name)) await remove('network', name);
  for (const name of filtersOnHost) if (!ownedFilters.has(name)) await remove('filter', name);
  if (removed.length > 0) {
    await events.add({
      severity: 'info',
      kind: 'host.swept',
      message: `Removed from host ${hostName}, owned by nothing in Vireo: ${removed.join(', ')}.`,
      hostId,
    });
  }
  return removed;
}
