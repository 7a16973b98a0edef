/**
 * Placement weights: the hosts that passed every filter are scored, highest wins. Memory and
 * spread are relative to the other candidates (so a host's points say how it compares); the
 * policy decides their direction: 'balanced' prefers room and few VMs, 'packed' the fullest host
 * that still fits (so whole hosts stay free). CPU load always counts against a host.
 */
import { membersByHost } from './filters.ts';
import type { HostSnapshot, PlacementPolicy, PlacementRequest, PlacementSnapshot, ScorePart } from './types.ts';

/** The most points each weight gives, by policy: packing is mostly about memory. */
export const WEIGHT_MAX: Record<PlacementPolicy, { memory: number; cpu: number; spread: number }> = {
  balanced: { memory: 50, cpu: 20, spread: 30 },
  packed: { memory: 70, cpu: 20, spread: 10 },
};
/** Points per member of a soft group on the host: added (affinity) or taken (anti-affinity). */
export const SOFT_AFFINITY_POINTS = 50;

export type Candidate = { host: HostSnapshot; freeMiB: number; vmCount: number };

const round = (n: number) => Math.round(n * 10) / 10;

function memoryPart(c: Candidate, all: Candidate[], policy: PlacementPolicy, needMiB: number): ScorePart {
  const after = (x: Candidate) => Math.max(0, x.freeMiB - needMiB);
  const most = Math.max(...all.map(after));
  const share = most > 0 ? after(c) / most : 1;
  const points = round(WEIGHT_MAX[policy].memory * (policy === 'packed' ? 1 - share : share));
  return { weight: 'memory', points, note: `${after(c)} MiB free after placing` };
}

function cpuPart(c: Candidate, policy: PlacementPolicy): ScorePart {
  const load = Math.min(100, Math.max(0, c.host.cpuUsagePercent));
  return {
    weight: 'cpu',
    points: round(WEIGHT_MAX[policy].cpu * (1 - load / 100)),
    note: `${round(load)}% CPU in use`,
  };
}

function spreadPart(c: Candidate, all: Candidate[], policy: PlacementPolicy): ScorePart {
  const most = Math.max(...all.map((x) => x.vmCount));
  const share = most > 0 ? c.vmCount / most : 0;
  const points = round(WEIGHT_MAX[policy].spread * (policy === 'packed' ? share : 1 - share));
  return { weight: 'spread', points, note: `${c.vmCount} VM${c.vmCount === 1 ? '' : 's'} on the host` };
}

function softAffinityParts(c: Candidate, request: PlacementRequest, snapshot: PlacementSnapshot): ScorePart[] {
  const ids = new Set(request.groupIds ?? []);
  const parts: ScorePart[] = [];
  for (const group of snapshot.groups) {
    if (!ids.has(group.id) || group.hard) continue;
    const sign = group.kind === 'affinity' ? 1 : -1;
    if (group.hostIds.includes(c.host.id)) {
      const note = `group ${group.name}: ${sign > 0 ? 'prefers' : 'avoids'} this host`;
      parts.push({ weight: group.kind, points: sign * SOFT_AFFINITY_POINTS, note });
    }
    const here = membersByHost(group, request.vmId).get(c.host.id) ?? [];
    if (here.length === 0) continue;
    parts.push({
      weight: group.kind,
      points: sign * SOFT_AFFINITY_POINTS * here.length,
      note: `group ${group.name}: ${here.join(', ')} on the host`,
    });
  }
  return parts;
}

export function score(
  c: Candidate,
  all: Candidate[],
  request: PlacementRequest,
  snapshot: PlacementSnapshot,
): { total: number; parts: ScorePart[] } {
  const policy = request.policy ?? 'balanced';
  const parts = [
    memoryPart(c, all, policy, request.memoryMiB),
    cpuPart(c, policy),
    spreadPart(c, all, policy),
    ...softAffinityParts(c, request, snapshot),
  ];
  return { total: round(parts.reduce((n, p) => n + p.points, 0)), parts };
}
