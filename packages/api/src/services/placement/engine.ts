/**
 * Placement: filters, then weights, over a snapshot of hosts, VMs and affinity groups. Pure, so
 * the decision can be tested without a database and kept as a record of why a host was chosen.
 */
import { firstRefusal, freeMiBOf } from './filters.ts';
import type { HostVerdict, PlacementDecision, PlacementRequest, PlacementSnapshot } from './types.ts';
import { type Candidate, score } from './weights.ts';

export function decide(snapshot: PlacementSnapshot, request: PlacementRequest, now = new Date()): PlacementDecision {
  const freeMiB = new Map(snapshot.hosts.map((h) => [h.id, freeMiBOf(h, snapshot.reserveMiB, request.vmId)]));
  const ctx = { request, snapshot, freeMiB };
  const excluded: HostVerdict[] = [];
  const candidates: Candidate[] = [];
  for (const host of snapshot.hosts) {
    const free = freeMiB.get(host.id) ?? 0;
    const refusal = firstRefusal(host, ctx);
    if (refusal) {
      excluded.push({ hostId: host.id, hostName: host.name, freeMiB: free, excluded: refusal, score: null });
    } else {
      const vmCount = host.allocations.filter((a) => !request.vmId || a.vmId !== request.vmId).length;
      candidates.push({ host, freeMiB: free, vmCount });
    }
  }
  const scored: HostVerdict[] = candidates
    .map((c) => ({
      hostId: c.host.id,
      hostName: c.host.name,
      freeMiB: c.freeMiB,
      excluded: null,
      score: score(c, candidates, request, snapshot),
    }))
    // Ties: the host with more room, then by name, so the same state always gives the same host.
    .sort(
      (a, b) =>
        (b.score?.total ?? 0) - (a.score?.total ?? 0) || b.freeMiB - a.freeMiB || a.hostName.localeCompare(b.hostName),
    );
  const best = scored[0];
  return {
    policy: request.policy ?? 'balanced',
    memoryMiB: request.memoryMiB,
    vmId: request.vmId ?? null,
    chosen: best ? { hostId: best.hostId, hostName: best.hostName } : null,
    hosts: [...scored, ...excluded.sort((a, b) => a.hostName.localeCompare(b.hostName))],
    decidedAt: now.toISOString(),
  };
}

/** One line per host, for error messages and events: "h1: memory: needs 512 MiB, 300 MiB free". */
export function explain(decision: PlacementDecision): string {
  return decision.hosts
    .map((h) =>
      h.excluded
        ? `${h.hostName}: ${h.excluded.filter}: ${h.excluded.reason}`
        : `${h.hostName}: score ${h.score?.total}`,
    )
    .join('; ');
}
