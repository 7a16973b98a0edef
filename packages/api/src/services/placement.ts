/**
 * Chooses a host for a VM: the placement engine (placement/engine.ts: filters, then weights)
 * over the database's snapshot. `placeVm` returns the whole decision (kept with the create task
 * for the VM page's "Why here?"); `pickHost` only the chosen host. Both refuse with the codes
 * callers know: HOST_OFFLINE when no host is even eligible, NO_HOST_CAPACITY when eligible hosts
 * are full or ruled out by affinity.
 */
import { VireoError } from '@vireo/protocol';
import { affinityGroups } from '@vireo/db';
import { decide, explain } from './placement/engine.ts';
import { loadSnapshot } from './placement/loader.ts';
import type { FilterName, PlacementDecision, PlacementRequest } from './placement/types.ts';

export type { PlacementDecision, PlacementRequest } from './placement/types.ts';

/** The decision for this request. A moved VM (`vmId`) brings its own affinity groups. */
export async function placeVm(request: PlacementRequest): Promise<PlacementDecision> {
  const groupIds = request.groupIds ?? (request.vmId ? await affinityGroups.groupIdsOf(request.vmId) : undefined);
  return decide(await loadSnapshot(), { ...request, groupIds });
}

/** Filters that say a host is not eligible at all, whatever its load. */
const ELIGIBILITY: ReadonlySet<FilterName> = new Set([
  'online',
  'maintenance',
  'excluded',
  'cluster',
  'hypervisor',
  'networks',
]);

/** The chosen host, or the refusal the decision explains. */
export function chosenHost(decision: PlacementDecision, request: PlacementRequest): { id: string; name: string } {
  if (decision.chosen) return { id: decision.chosen.hostId, name: decision.chosen.hostName };
  const why = decision.hosts.length > 0 ? ` (${explain(decision)})` : '';
  const reached = decision.hosts.filter((h) => h.excluded && !ELIGIBILITY.has(h.excluded.filter));
  if (reached.length === 0) {
    throw new VireoError(
      'HOST_OFFLINE',
      request.allowedHostIds
        ? `No host that has all of this VM’s networks is online. Choose other networks or bring such a host online.${why}`
        : `No host is online. Start an agent on a host (see the README) and try again.${why}`,
    );
  }
  if (reached.every((h) => h.excluded?.filter === 'memory')) {
    const best = [...reached].sort((a, b) => b.freeMiB - a.freeMiB)[0];
    const most = best ? ` The most any host has left is ${Math.max(0, best.freeMiB)} MiB (${best.hostName}).` : '';
    throw new VireoError(
      'NO_HOST_CAPACITY',
      `No online host has ${request.memoryMiB} MiB of memory free for this VM.${most} Lower the memory or stop other VMs.${why}`,
    );
  }
  throw new VireoError('NO_HOST_CAPACITY', `No host can take this VM${why}.`);
}

/** `allowed`: only these hosts may take the VM (e.g. where its NICs' networks exist). */
export async function pickHost(memoryMiB: number, allowed?: Set<string>): Promise<{ id: string; name: string }> {
  const request: PlacementRequest = { memoryMiB, allowedHostIds: allowed };
  return chosenHost(await placeVm(request), request);
}
