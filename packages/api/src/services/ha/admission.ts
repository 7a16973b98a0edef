/**
 * HA admission control (issue 9): with a cluster keeping capacity for N host failures, could
 * every HA VM still be restarted if the N hosts whose failure hurts most failed now?
 *
 * Worst case, greedy: for N = 1 every host is tried alone; for N > 1 the N hosts carrying the
 * most HA memory fail together (trying every combination grows too fast and rarely differs).
 * In each case the failed hosts' HA VMs are placed one at a time, highest priority first, with
 * the placement engine (same filters and weights as a real restart), each placed VM's memory
 * taken from its new host before the next is placed. A VM no host takes "would not fit", with
 * the engine's reasons. Pure over a placement snapshot; `loadAdmission` reads one.
 */
import { haSettings } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { decide, explain } from '../placement/engine.ts';
import { loadSnapshot } from '../placement/loader.ts';
import type { PlacementSnapshot } from '../placement/types.ts';

export type AdmissionVm = {
  id: string;
  name: string;
  hostId: string;
  memoryMiB: number;
  priority: number;
};

export type AdmissionScenario = {
  failedHosts: { id: string; name: string }[];
  restarts: { vmId: string; vmName: string; toHostId: string; toHostName: string }[];
  wouldNotFit: { vmId: string; vmName: string; reason: string }[];
};

export type AdmissionReport = {
  clusterId: string;
  reserveHostFailures: number;
  admission: 'warn' | 'refuse';
  haVmCount: number;
  /** Every HA VM fits in every case tried. */
  ok: boolean;
  scenarios: AdmissionScenario[];
  /** Each VM that would not fit in some case, once (its first reason). */
  wouldNotFit: { vmId: string; vmName: string; reason: string; failedHosts: string[] }[];
  /** One sentence for people. */
  summary: string;
};

/** The failure cases to try: each host alone for N = 1, else the N hosts with the most HA memory. */
export function failureSets(hostIds: readonly string[], vms: readonly AdmissionVm[], n: number): string[][] {
  if (n <= 0 || hostIds.length === 0) return [];
  if (n === 1) return hostIds.map((id) => [id]);
  const haMiB = (id: string) => vms.filter((v) => v.hostId === id).reduce((s, v) => s + v.memoryMiB, 0);
  const sorted = [...hostIds].sort((a, b) => haMiB(b) - haMiB(a) || a.localeCompare(b));
  return [sorted.slice(0, Math.min(n, hostIds.length))];
}

function withAllocation(s: PlacementSnapshot, hostId: string, vm: AdmissionVm, groupIds: string[]): PlacementSnapshot {
  return {
    ...s,
    hosts: s.hosts.map((h) =>
      h.id === hostId
        ? { ...h, allocations: [...h.allocations, { vmId: vm.id, vmName: vm.name, memoryMiB: vm.memoryMiB }] }
        : h,
    ),
    // The restarted VM is on its new host now, for the affinity rules of the VMs placed after it.
    groups: s.groups.map((g) =>
      groupIds.includes(g.id) ? { ...g, members: [...g.members, { vmId: vm.id, vmName: vm.name, hostId }] } : g,
    ),
  };
}

function scenario(
  snapshot: PlacementSnapshot,
  clusterId: string,
  failed: string[],
  vms: AdmissionVm[],
): AdmissionScenario {
  const names = new Map(snapshot.hosts.map((h) => [h.id, h.name]));
  const out: AdmissionScenario = {
    failedHosts: failed.map((id) => ({ id, name: names.get(id) ?? id })),
    restarts: [],
    wouldNotFit: [],
  };
  // The failed hosts' domains are gone with them: their memory is not promised anywhere.
  let s: PlacementSnapshot = snapshot;
  const toRestart = vms
    .filter((v) => failed.includes(v.hostId))
    .sort((a, b) => b.priority - a.priority || b.memoryMiB - a.memoryMiB || a.name.localeCompare(b.name));
  for (const vm of toRestart) {
    const groupIds = s.groups.filter((g) => g.members.some((m) => m.vmId === vm.id)).map((g) => g.id);
    const d = decide(s, { memoryMiB: vm.memoryMiB, vmId: vm.id, clusterId, excludeHostIds: failed, groupIds });
    if (d.chosen) {
      out.restarts.push({ vmId: vm.id, vmName: vm.name, toHostId: d.chosen.hostId, toHostName: d.chosen.hostName });
      s = withAllocation(s, d.chosen.hostId, vm, groupIds);
    } else {
      out.wouldNotFit.push({ vmId: vm.id, vmName: vm.name, reason: explain(d) });
    }
  }
  return out;
}

/** Pure: the report for the cluster's hosts in `snapshot` and its HA VMs `vms`. */
export function checkAdmission(
  snapshot: PlacementSnapshot,
  clusterId: string,
  vms: readonly AdmissionVm[],
  reserveHostFailures: number,
  admission: 'warn' | 'refuse',
): AdmissionReport {
  const hostIds = snapshot.hosts.filter((h) => h.clusterId === clusterId).map((h) => h.id);
  const sets = failureSets(hostIds, vms, reserveHostFailures);
  const scenarios = sets.map((f) => scenario(snapshot, clusterId, f, [...vms]));
  const wouldNotFit: AdmissionReport['wouldNotFit'] = [];
  for (const sc of scenarios) {
    for (const v of sc.wouldNotFit) {
      if (!wouldNotFit.some((w) => w.vmId === v.vmId))
        wouldNotFit.push({ ...v, failedHosts: sc.failedHosts.map((h) => h.name) });
    }
  }
  const ok = wouldNotFit.length === 0;
  const n = reserveHostFailures;
  const summary =
    n === 0
      ? 'No capacity is reserved for host failures (reserve 0): admission control checks nothing.'
      : ok
        ? `${vms.length === 1 ? 'The HA VM' : `All ${vms.length} HA VMs`} would restart if ${n === 1 ? 'any one host' : `the ${n} hosts with the most HA memory`} failed.`
        : `${wouldNotFit.length} HA VM${wouldNotFit.length === 1 ? '' : 's'} would not fit after ${n === 1 ? 'a host failure' : `${n} host failures`}: ${wouldNotFit.map((w) => `${w.vmName} (if ${w.failedHosts.join(' and ')} failed)`).join(', ')}.`;
  return { clusterId, reserveHostFailures: n, admission, haVmCount: vms.length, ok, scenarios, wouldNotFit, summary };
}

/**
 * Reads the cluster and its HA VMs and checks them; `override` counts one VM as having these
 * HA settings (the one being saved), before they are written.
 */
export async function loadAdmission(
  clusterId: string,
  override?: { vmId: string; enabled: boolean; priority: number },
): Promise<AdmissionReport> {
  const c = await haSettings.cluster(clusterId);
  if (!c) throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
  const rows = await haSettings.vmsOfCluster(clusterId);
  const vms: AdmissionVm[] = rows.flatMap((r) => {
    const enabled = override?.vmId === r.id ? override.enabled : r.haEnabled;
    const priority = override?.vmId === r.id ? override.priority : r.haPriority;
    return enabled ? [{ id: r.id, name: r.name, hostId: r.hostId, memoryMiB: r.memoryMiB, priority }] : [];
  });
  return checkAdmission(await loadSnapshot(), clusterId, vms, c.reserveHostFailures, c.admission);
}
