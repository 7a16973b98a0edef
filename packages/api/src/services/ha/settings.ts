/**
 * HA settings (issue 9): a VM's HA flags, a cluster's timeouts and admission policy, a host's
 * fence device and its test. Admins only (the router says so). Every change is an event, as
 * other admin settings are. The HA monitor (another part) reads these columns on every tick.
 */
import { type ClusterHaSettings, haSettings, type VmHaRecord } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { publish } from '../bus.ts';
import { recordEvent } from '../views.ts';
import { type AdmissionReport, loadAdmission } from './admission.ts';
import { type FenceResult, runFenceAgent } from './fence.ts';

type Actor = { id: string; username: string };

/** What the browser gets back for a masked password (and sends back when it was not changed). */
export const MASKED = '********';
const FENCE_TEST_TIMEOUT_MS = 30_000;

async function record(actor: Actor, kind: string, message: string, ref: { vmId?: string; hostId?: string } = {}) {
  await recordEvent({ severity: 'info', kind, message, userId: actor.id, ...ref });
}

// ---- VMs ----

export type VmHaView = {
  vmId: string;
  enabled: boolean;
  priority: number;
  dependsOnVmId: string | null;
  dependsOnName: string | null;
  clusterId: string | null;
  /** Why HA cannot be turned on now (a disk not on shared storage, no host), or null. */
  blocker: string | null;
  /** Other VMs of its cluster it may depend on. */
  candidates: { id: string; name: string }[];
};

async function vmOrThrow(vmId: string): Promise<VmHaRecord> {
  const vm = await haSettings.vm(vmId);
  if (!vm) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  return vm;
}

/**
 * Why the VM's disks would not be there for another host, or null. The template overlay lives in
 * the VM storage directory (shared by the cluster's hosts, where the HA heartbeat is too); a pool
 * volume is shared only in a cluster pool of the VM's own cluster.
 */
export async function sharedStorageBlocker(vm: VmHaRecord): Promise<string | null> {
  if (!vm.hostId || !vm.clusterId) return `VM ${vm.name} has no host, so it is in no cluster.`;
  const named = vm.disks.filter((d) => d.pool !== null);
  const pools = await haSettings.pools(named.map((d) => d.pool ?? ''));
  for (const d of named) {
    const what = `${d.device === 'cdrom' ? 'CD-ROM' : 'disk'} ${d.volume ?? ''} (pool ${d.pool})`;
    const p = pools.get(d.pool ?? '');
    if (!p) return `Its ${what} is not in a Vireo storage pool, so other hosts may not see it.`;
    if (p.scope !== 'cluster')
      return `Its ${what} is on a host-local pool: other hosts cannot start it. Move it to a cluster pool first.`;
    if (p.clusterId !== vm.clusterId) return `Its ${what} is in another cluster's shared pool.`;
  }
  return null;
}

export async function vmHa(vmId: string): Promise<VmHaView> {
  const vm = await vmOrThrow(vmId);
  const others = vm.clusterId ? await haSettings.vmsOfCluster(vm.clusterId) : [];
  return {
    vmId: vm.id,
    enabled: vm.haEnabled,
    priority: vm.haPriority,
    dependsOnVmId: vm.haDependsOnId,
    dependsOnName: vm.dependsOnName,
    clusterId: vm.clusterId,
    blocker: await sharedStorageBlocker(vm),
    candidates: others.filter((o) => o.id !== vm.id).map((o) => ({ id: o.id, name: o.name })),
  };
}

/** Walks the dependency chain from `start`; true when it comes back to `vmId`. */
async function makesCycle(vmId: string, start: string): Promise<boolean> {
  const seen = new Set<string>();
  let at: string | null = start;
  while (at && !seen.has(at)) {
    if (at === vmId) return true;
    seen.add(at);
    at = (await haSettings.dependencies([at])).get(at) ?? null;
  }
  return false;
}

export type SetVmHaInput = { vmId: string; enabled: boolean; priority: number; dependsOnVmId: string | null };
export type SetVmHaResult = { settings: VmHaView; warning: string | null; admission: AdmissionReport | null };

export async function setVmHa(input: SetVmHaInput, actor: Actor): Promise<SetVmHaResult> {
  const vm = await vmOrThrow(input.vmId);
  if (input.dependsOnVmId) {
    if (input.dependsOnVmId === vm.id) throw new VireoError('BAD_INPUT', 'A VM cannot depend on itself.');
    const dep = await haSettings.vm(input.dependsOnVmId);
    if (!dep) throw new VireoError('NOT_FOUND', 'The VM it should depend on does not exist.', { object: 'vm' });
    if (!vm.clusterId || dep.clusterId !== vm.clusterId) {
      throw new VireoError(
        'BAD_INPUT',
        `${dep.name} is not in the same cluster as ${vm.name}: it can only depend on a VM of its cluster.`,
      );
    }
    if (await makesCycle(vm.id, dep.id)) {
      throw new VireoError(
        'CONFLICT',
        `${dep.name} already depends (directly or through others) on ${vm.name}: that would be a cycle.`,
      );
    }
  }
  const settings = { haEnabled: input.enabled, haPriority: input.priority, haDependsOnId: input.dependsOnVmId };
  let admission: AdmissionReport | null = null;
  let warning: string | null = null;
  if (input.enabled) {
    const blocker = await sharedStorageBlocker(vm);
    if (blocker)
      throw new VireoError('INVALID_STATE', `HA needs every disk on shared storage. ${blocker}`, { object: 'vm' });
    // The check and the write are one compare-and-set on the cluster's HA generation: two
    // admins (on one manager or two) turning HA on at once cannot both pass a check that only
    // one of them fits; the one that lost checks again against what the other wrote.
    const clusterId = vm.clusterId ?? '';
    for (let attempt = 0; ; attempt++) {
      const generation = await haSettings.generation(clusterId);
      admission = await loadAdmission(clusterId, { vmId: vm.id, enabled: true, priority: input.priority });
      warning = null;
      if (!admission.ok) {
        // Refuse only turning HA on: changing the priority of a VM already protected is not what
        // made the cluster short, and refusing it would leave the admin no way to reorder.
        if (admission.admission === 'refuse' && !vm.haEnabled) {
          throw new VireoError('CONFLICT', `Admission control refuses: ${admission.summary}`, { object: 'vm' });
        }
        warning = admission.summary;
      }
      const cas = generation === null ? undefined : { clusterId, ifGeneration: generation };
      const written = await haSettings.setVm(vm.id, settings, cas);
      if (written === 'not-found') throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
      if (written === 'ok') break;
      if (attempt >= 4) {
        throw new VireoError(
          'CONFLICT',
          `The HA settings of VM ${vm.name}'s cluster kept changing while they were checked; nothing was changed. Try again.`,
          { object: 'vm' },
        );
      }
    }
  } else if ((await haSettings.setVm(vm.id, settings)) === 'not-found') {
    throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  }
  const changed =
    vm.haEnabled !== input.enabled || vm.haPriority !== input.priority || vm.haDependsOnId !== input.dependsOnVmId;
  if (changed) {
    const dep = input.dependsOnVmId ? (await haSettings.vm(input.dependsOnVmId))?.name : null;
    await record(
      actor,
      'vm.ha',
      input.enabled
        ? `${actor.username} set HA of VM ${vm.name}: on, priority ${input.priority}${dep ? `, after ${dep}` : ''}${warning ? ` (warning: ${warning})` : ''}.`
        : `${actor.username} turned HA of VM ${vm.name} off.`,
      { vmId: vm.id },
    );
  }
  return { settings: await vmHa(vm.id), warning, admission };
}

// ---- Clusters ----

/** Bounds (seconds), documented in docs/ha.md. */
export const HA_BOUNDS = {
  hostDownAfterS: [5, 600],
  heartbeatStaleAfterS: [4, 600],
  heartbeatIntervalS: [1, 60],
  selfFenceAfterS: [4, 600],
  reserveHostFailures: [0, 8],
} as const;

export async function clusterHa(clusterId: string) {
  const c = await haSettings.cluster(clusterId);
  if (!c) throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
  return c;
}

export async function updateClusterHa(clusterId: string, s: ClusterHaSettings, actor: Actor) {
  const before = await clusterHa(clusterId);
  // A heartbeat is stale, or a host self-fences, only after at least two missed writes: one
  // slow write on busy storage must not declare a host dead.
  if (s.heartbeatStaleAfterS < 2 * s.heartbeatIntervalS) {
    throw new VireoError(
      'BAD_INPUT',
      `The heartbeat is stale after at least 2 intervals (${2 * s.heartbeatIntervalS} s).`,
    );
  }
  if (s.selfFenceAfterS < 2 * s.heartbeatIntervalS) {
    throw new VireoError(
      'BAD_INPUT',
      `A host self-fences after at least 2 heartbeat intervals (${2 * s.heartbeatIntervalS} s).`,
    );
  }
  if (s.reserveHostFailures > 0 && s.reserveHostFailures >= before.hostCount) {
    throw new VireoError(
      'BAD_INPUT',
      `Cluster ${before.clusterName} has ${before.hostCount} host${before.hostCount === 1 ? '' : 's'}: it can keep capacity for at most ${Math.max(0, before.hostCount - 1)} failures.`,
    );
  }
  if (!(await haSettings.setCluster(clusterId, s)))
    throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
  const changed = (Object.keys(s) as (keyof ClusterHaSettings)[])
    .filter((k) => s[k] !== before[k])
    .map((k) => `${k} ${JSON.stringify(before[k])} → ${JSON.stringify(s[k])}`);
  if (changed.length > 0) {
    await record(
      actor,
      'cluster.ha',
      `${actor.username} changed the HA settings of cluster ${before.clusterName}: ${changed.join(', ')}.`,
    );
    publish({ kind: 'inventory' });
  }
  return { settings: await clusterHa(clusterId), admission: await loadAdmission(clusterId) };
}

// ---- Fence devices ----

const SECRET = /pass/i;

export function maskOptions(options: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, SECRET.test(k) && v !== '' ? MASKED : v]));
}

/** The options to store: the masked value sent back means "unchanged" (the password is never shown, so never lost). */
export function mergeOptions(stored: Record<string, string>, sent: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, v === MASKED ? (stored[k] ?? '') : v]));
}

export async function hostFence(hostId: string) {
  const h = await haSettings.hostFence(hostId);
  if (!h) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  return {
    hostId: h.hostId,
    hostName: h.hostName,
    agent: h.fenceAgent,
    options: maskOptions(h.fenceOptions),
    haState: h.haState,
    haNote: h.haNote,
    haStateAt: h.haStateAt?.toISOString() ?? null,
    heartbeatSeenAt: h.heartbeatSeenAt?.toISOString() ?? null,
    heartbeatOwnOkAt: h.heartbeatOwnOkAt?.toISOString() ?? null,
  };
}

export async function setHostFence(
  input: { hostId: string; agent: string; options: Record<string, string> },
  actor: Actor,
) {
  const h = await haSettings.hostFence(input.hostId);
  if (!h) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  const options = mergeOptions(h.fenceOptions, input.options);
  if (!(await haSettings.setFence(h.hostId, input.agent, options))) {
    throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  }
  const keys = Object.keys(options).sort().join(', ') || 'none';
  await record(
    actor,
    'host.fence',
    input.agent
      ? `${actor.username} set the fence device of host ${h.hostName}: ${input.agent} (options: ${keys}).`
      : `${actor.username} removed the fence device of host ${h.hostName}.`,
    { hostId: h.hostId },
  );
  return hostFence(h.hostId);
}

export async function testHostFence(hostId: string, actor: Actor): Promise<FenceResult> {
  const h = await haSettings.hostFence(hostId);
  if (!h) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  if (!h.fenceAgent)
    throw new VireoError('INVALID_STATE', `Host ${h.hostName} has no fence device.`, { object: 'host' });
  const result = await runFenceAgent(h.fenceAgent, h.fenceOptions, 'status', FENCE_TEST_TIMEOUT_MS);
  await record(
    actor,
    'host.fence-test',
    `${actor.username} tested the fence device of host ${h.hostName} (${h.fenceAgent}): ${result.ok ? `power ${result.power ?? 'unknown'}` : `failed (exit ${result.exitCode ?? 'none'})`}.`,
    { hostId: h.hostId },
  );
  return result;
}
