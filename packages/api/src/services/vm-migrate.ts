/**
 * Moving a VM to another host of its cluster: live (running VM, libvirt pre-copy with optional
 * post-copy) or cold (shut-off VM, only its definition moves). The source host's agent runs the
 * migration (libvirt peer-to-peer); the destination's agent is not asked anything.
 *
 * - Pre-checks (`checkMigration`) say, each with a reason, why a target can or cannot take the
 *   VM, and the same checks run again when the migration is asked for.
 * - The VM's lock is held for the whole migration, and its task (kind vm.migrate, hostId = the
 *   destination) marks the destination: the domain showing up there before the VM's record moves
 *   is expected, not a conflict (vm-reconcile.ts, domain-events.ts).
 * - Success moves `Vm.hostId` in the same transaction as the task's success (db vm-migrations).
 * - Cancel is a flag on the task row (any manager may record it); the manager running the task
 *   sees it and asks the source to abort the libvirt job; the VM keeps running on the source.
 */
import { assertCan, can } from './permissions/can.ts';
import { infraVisibility } from './permissions/visibility.ts';
import { clusters, hostDomains, hosts, storagePools, tasks, type VmDiskRow, vmHardware, vmMigrations } from '@vireo/db';
import {
  type AgentParams,
  cpuCompatible,
  type HostCpu,
  type MigrationMode,
  VireoError,
  type VmCpu,
  type VmMigrateResult,
} from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { hostAgent } from './agent-router.ts';
import { waitForSlot } from './migration-slots.ts';
import { type PlacementRequest, placeVm } from './placement.ts';
import { type DiskCopy, localDisks, makeTargetVolumes, removeVolumes, targetLocalPool } from './vm-migrate-block.ts';
import { startTask } from './tasks.ts';
import { publishTask, publishVm } from './views.ts';
import type { VmRecord } from './vm-access.ts';
import { lockVm } from './vm-locks.ts';

export const MIGRATE_TASK_KIND = vmMigrations.MIGRATE_TASK_KIND;

const MIB = 1024 * 1024;

/** How a cluster migrates VMs. */
export interface MigrationPolicy {
  maxDowntimeMs: number;
  /** MiB/s per migration; 0: unlimited. */
  bandwidthMiBs: number;
  autoConverge: boolean;
  postCopy: boolean;
  /** Migrations running at once from or to one host. */
  parallelPerHost: number;
  /** Whether a VM whose disks are on one host's storage may be migrated by copying them. */
  allowBlock: boolean;
}

/** Used when the cluster row is gone (a VM whose host was removed meanwhile). */
const DEFAULT_POLICY: MigrationPolicy = {
  maxDowntimeMs: 300,
  bandwidthMiBs: 0,
  autoConverge: true,
  postCopy: false,
  parallelPerHost: 2,
  allowBlock: true,
};

/** The cluster's migration policy, as set in its settings (Inventory page). */
export async function migrationPolicy(clusterId: string): Promise<MigrationPolicy> {
  const p = clusterId ? await clusters.policies(clusterId) : null;
  if (!p) return DEFAULT_POLICY;
  return {
    maxDowntimeMs: p.migrationMaxDowntimeMs,
    bandwidthMiBs: p.migrationBandwidthMiBs,
    autoConverge: p.migrationAutoConverge,
    postCopy: p.migrationPostCopy,
    parallelPerHost: p.migrationParallelPerHost,
    // No cluster setting for it yet: block migration is allowed wherever the disks need it.
    allowBlock: true,
  };
}

/** Throughput assumed when neither the cluster nor a past migration says (MiB/s): a loaded 1 GbE link. */
export const DEFAULT_BANDWIDTH_MIBS = 100;

export interface MigrationCheck {
  id:
    | 'online'
    | 'maintenance'
    | 'other-host'
    | 'same-cluster'
    | 'address'
    | 'memory'
    | 'cpu'
    | 'affinity'
    | 'storage'
    | 'state';
  ok: boolean;
  reason: string;
}

export interface MigrationEstimate {
  durationMs: number;
  downtimeMs: number;
  /** How it was worked out, for people. */
  basis: string;
}

export interface MigrationCheckResult {
  target: { id: string; name: string } | null;
  mode: MigrationMode;
  live: boolean;
  checks: MigrationCheck[];
  ok: boolean;
  estimate: MigrationEstimate | null;
}

/** Facts the checks decide from; gathered by `gatherFacts`, pure from here on (unit-tested). */
export interface MigrationFacts {
  vm: { name: string; state: string; memoryMiB: number; hostId: string | null };
  source: { id: string; name: string; clusterId: string } | null;
  target: {
    id: string;
    name: string;
    status: string;
    /** Host.maintenance: a host entering or in maintenance takes no VM. Absent: 'none'. */
    maintenance?: string | undefined;
    clusterId: string;
    address: string | null;
    /** Memory left for VMs: total − host reserve − committed. */
    freeMiB: number;
    /** Why a hard affinity rule keeps the VM off this host (the placement engine's reason), if one does. */
    affinityConflict?: string | null | undefined;
    /**
     * The target's own pool a block migration copies the disks into; null: it has none.
     * Absent: not looked up (not checked).
     */
    localPool?: string | null | undefined;
  } | null;
  disks: { label: string; where: 'shared' | 'host' | 'none'; readOnly: boolean; cdrom: boolean }[];
  policy: MigrationPolicy;
  /** Bytes per second the guest dirtied in its last migration, if one was measured. */
  lastDirtyBps?: number | undefined;
  /**
   * The VM's CPU (null: its host's agent could not say), the source's and target's CPUs (null:
   * not reported) and the cluster's baseline model. Absent: the check is not made.
   */
  cpu?: { vm: VmCpu | null; source: HostCpu | null; target: HostCpu | null; baseline: string } | undefined;
  /** Bytes its last live migration sent (zero pages cost next to nothing), if one was measured. */
  lastSentBytes?: number | undefined;
  /** Bytes per second an unlimited migration between these hosts (or lately any two) achieved. */
  measuredBps?: number | undefined;
}

/** The storage mode the VM's disks need: block when any writable disk is on one host's storage. */
export function neededMode(disks: MigrationFacts['disks']): MigrationMode {
  return disks.some((d) => d.where === 'host' && !d.readOnly) ? 'block' : 'shared';
}

export function evaluateMigration(
  f: MigrationFacts,
  asked?: MigrationMode,
): Omit<MigrationCheckResult, 'target' | 'estimate'> & {
  estimate: MigrationEstimate | null;
} {
  const live = f.vm.state !== 'shutoff';
  const need = neededMode(f.disks);
  const mode = asked ?? need;
  const t = f.target;
  const checks: MigrationCheck[] = [];
  const add = (id: MigrationCheck['id'], ok: boolean, yes: string, no: string) =>
    checks.push({ id, ok, reason: ok ? yes : no });

  add(
    'online',
    t?.status === 'online',
    `${t?.name} is online.`,
    t ? `${t.name} is ${t.status}: it must be online.` : 'No such host.',
  );
  const maint = t?.maintenance ?? 'none';
  add(
    'maintenance',
    maint === 'none',
    `${t?.name} is not in maintenance.`,
    maint === 'entering'
      ? `host ${t?.name} is entering maintenance: its VMs are being moved away.`
      : `host ${t?.name} is in maintenance.`,
  );
  add(
    'other-host',
    Boolean(t) && t?.id !== f.vm.hostId,
    `${t?.name} is not the VM's host.`,
    `${t?.name ?? 'That host'} is the VM's own host.`,
  );
  add(
    'same-cluster',
    Boolean(t && f.source) && t?.clusterId === f.source?.clusterId,
    'Same cluster as the VM.',
    `${t?.name ?? 'That host'} is in another cluster than ${f.source?.name ?? 'the VM’s host'}.`,
  );
  add(
    'address',
    Boolean(t?.address),
    `Reached at ${t?.address}.`,
    `${t?.name ?? 'That host'} has no known address yet (its agent reports it on connect).`,
  );
  const free = t?.freeMiB ?? 0;
  add(
    'memory',
    free >= f.vm.memoryMiB,
    `${t?.name} has ${free} MiB free for VMs; the VM needs ${f.vm.memoryMiB} MiB.`,
    `${t?.name ?? 'That host'} has ${Math.max(0, free)} MiB free for VMs; the VM needs ${f.vm.memoryMiB} MiB.`,
  );
  const cpu = !f.cpu
    ? null
    : f.cpu.vm
      ? cpuCompatible(f.cpu.vm, f.cpu.target, f.cpu.baseline, f.cpu.source)
      : { ok: true, reason: 'The VM’s CPU could not be read from its host: not checked.' };
  if (cpu) add('cpu', cpu.ok, cpu.reason, `${t?.name ?? 'That host'}: ${cpu.reason}`);
  add(
    'affinity',
    !t?.affinityConflict,
    'No hard affinity rule keeps the VM off it.',
    `${t?.name ?? 'That host'} breaks an affinity rule: ${t?.affinityConflict}`,
  );
  const localIso = f.disks.find((d) => d.cdrom && d.where === 'host');
  const hostDisks = f.disks.filter((d) => d.where === 'host' && !d.readOnly);
  const sharedWritable = f.disks.some((d) => d.where === 'shared' && !d.readOnly);
  let storage: [boolean, string];
  if (localIso) {
    storage = [
      false,
      `CD-ROM ${localIso.label} is an image on ${f.source?.name ?? 'its host'}'s own storage: eject it first.`,
    ];
  } else if (mode === 'shared') {
    storage =
      need === 'shared'
        ? [true, 'Every disk is on storage both hosts see.']
        : [
            false,
            `${hostDisks.map((d) => d.label).join(', ')} ${hostDisks.length > 1 ? 'are' : 'is'} on ${f.source?.name ?? 'its host'}'s own storage: the disks must be copied (block migration).`,
          ];
  } else if (!live) {
    storage = [false, 'A stopped VM is moved without copying disks: block migration needs a running VM.'];
  } else if (!f.policy.allowBlock) {
    storage = [false, 'The cluster does not allow copying disks during a migration.'];
  } else if (hostDisks.length === 0) {
    // NON_SHARED_DISK with nothing named would copy the shared disks onto themselves.
    storage = [false, 'No writable disk is on a host’s own storage: there is nothing to copy (shared storage).'];
  } else if (sharedWritable && hostDisks.length > 1) {
    // libvirt-dbus passes one value per parameter, so only one disk to copy can be named.
    storage = [
      false,
      'The VM has disks both on shared storage and several on host storage: a block migration can copy only one of them while leaving the shared ones.',
    ];
  } else if (t?.localPool === null) {
    storage = [false, `${t.name} has no storage pool of its own to copy the disks into: add one on the Storage page.`];
  } else {
    const into = t?.localPool ? ` into its pool ${t.localPool}` : '';
    storage = [
      true,
      `${hostDisks.length} disk(s) will be copied to ${t?.name ?? 'the target'}${into} (block migration).`,
    ];
  }
  add('storage', storage[0], storage[1], storage[1]);
  const movable = ['running', 'paused', 'shutoff'].includes(f.vm.state);
  add(
    'state',
    movable,
    live ? `The VM is ${f.vm.state}: a live migration.` : 'The VM is stopped: its definition moves (cold migration).',
    `The VM is ${f.vm.state}: only a running or stopped VM can be migrated.`,
  );
  const ok = checks.every((c) => c.ok);
  return { mode, live, checks, ok, estimate: estimateMigration(f, mode, live) };
}

/** Duration and downtime from the memory size, the bandwidth and the last dirty rate. */
export function estimateMigration(f: MigrationFacts, mode: MigrationMode, live: boolean): MigrationEstimate | null {
  if (!live) return { durationMs: 500, downtimeMs: 0, basis: 'cold: only the definition moves' };
  const limit = f.policy.bandwidthMiBs > 0 ? f.policy.bandwidthMiBs * MIB : Number.POSITIVE_INFINITY;
  // A measured throughput already holds the per-migration overhead (it is bytes over libvirt's
  // whole job time); the assumed one does not.
  const measured = f.measuredBps !== undefined && f.measuredBps > 0 ? f.measuredBps : undefined;
  const bwBps = Math.min(limit, measured ?? DEFAULT_BANDWIDTH_MIBS * MIB);
  const bw = bwBps / MIB;
  const dirty = f.lastDirtyBps ?? 0;
  const memory = f.vm.memoryMiB * MIB;
  // Pre-copy: the first pass sends all memory, each next pass what was dirtied meanwhile. What the
  // last migration sent already holds those passes (and leaves out untouched, zero pages).
  const ratio = Math.min(0.9, dirty / bwBps);
  const sent = f.lastSentBytes ?? (ratio > 0 ? memory / (1 - ratio) : memory);
  const diskNote = mode === 'block' ? ' plus the disks' : '';
  const overheadMs = measured !== undefined && bwBps === measured ? 0 : 1500;
  const durationMs = Math.round((sent / bwBps) * 1000) + overheadMs;
  const downtimeMs = dirty > 0 && dirty >= bwBps ? Math.max(f.policy.maxDowntimeMs, 1000) : f.policy.maxDowntimeMs;
  const what =
    f.lastSentBytes !== undefined ? `${Math.round(sent / MIB)} MiB (sent last time)` : `${f.vm.memoryMiB} MiB`;
  const how = bwBps === limit ? 'cluster limit' : measured !== undefined ? 'measured' : 'assumed';
  const basis =
    `${what} at ${bw.toFixed(bw < 10 ? 1 : 0)} MiB/s (${how})` +
    (f.lastDirtyBps !== undefined ? `, guest dirtied ${(dirty / MIB).toFixed(1)} MiB/s last time` : '') +
    diskNote;
  return { durationMs, downtimeMs, basis };
}

/** Last measured dirty rate per VM (this manager's memory; a hint for the estimate only). */
const lastDirty = new Map<string, number>();
/** Bytes each VM's last live migration sent (this manager's memory; a hint for the estimate only). */
const lastSent = new Map<string, number>();
/** Throughput of unlimited migrations per `source>target`, and `*` for the latest of any pair. */
const pairBps = new Map<string, number>();

function learn(vmId: string, from: string, to: string, result: VmMigrateResult, limited: boolean): void {
  if (result.alreadyDone || !result.dataBytes || result.totalMs <= 0) return;
  lastSent.set(vmId, result.dataBytes);
  if (limited) return;
  const bps = (result.dataBytes / result.totalMs) * 1000;
  pairBps.set(`${from}>${to}`, bps);
  pairBps.set('*', bps);
}

async function diskPlaces(disks: VmDiskRow[]): Promise<MigrationFacts['disks']> {
  const pools = new Map((await storagePools.list()).map((p) => [p.name, p]));
  return disks.map((d) => {
    const label = d.device === 'cdrom' ? `cd-rom ${d.position}` : `disk ${d.position}`;
    const base = { label, readOnly: d.readOnly || d.device === 'cdrom', cdrom: d.device === 'cdrom' };
    if (d.pool) return { ...base, where: pools.get(d.pool)?.scope === 'cluster' ? 'shared' : 'host' };
    // No pool: the overlay of a kernel-template VM, in the agents' VM storage directory, which
    // Vireo's installation (and the lab) puts on the filesystem every host of the cluster shares.
    return { ...base, where: d.path ? 'shared' : 'none' };
  });
}

/**
 * The CPU the VM's domain XML gives it, asked of its host's agent; null when the agent cannot say
 * (offline, or an agent from before the CPU check).
 */
export async function vmCpuOf(vm: Pick<VmRecord, 'uuid' | 'hostId' | 'hostName'>): Promise<VmCpu | null> {
  if (!vm.hostId) return null;
  try {
    const agent = await hostAgent(vm.hostId, vm.hostName ?? vm.hostId);
    return await agent.request('vm.cpu', { uuid: vm.uuid }, { timeoutMs: 15_000 });
  } catch (err) {
    console.warn(`[migrate] could not read the CPU of VM ${vm.uuid}:`, VireoError.is(err) ? err.message : err);
    return null;
  }
}

/** The moved VM's CPU and its host's, for the placement engine's `cpu` filter; undefined if unknown. */
export async function placementCpu(vm: VmRecord): Promise<PlacementRequest['cpu']> {
  const cpu = await vmCpuOf(vm);
  if (!cpu) return undefined;
  const source = vm.hostId ? await hosts.byId(vm.hostId) : null;
  return { vm: cpu, source: source?.cpu ?? null };
}

async function gatherFacts(vm: VmRecord, targetHostId: string | undefined): Promise<MigrationFacts> {
  const source = vm.hostId ? await hosts.byId(vm.hostId) : null;
  const target = targetHostId ? await hosts.byId(targetHostId) : null;
  const hw = await vmHardware.ofVm(vm.id);
  const vmCpu = target ? await vmCpuOf(vm) : null;
  const policies = source ? await clusters.policies(source.clusterId) : null;
  // The placement engine's view of the target: its free memory (the VM's own not counted) and
  // whether a hard affinity rule keeps the VM off it.
  const verdict = target
    ? (await placeVm({ memoryMiB: vm.memoryMiB, vmId: vm.id })).hosts.find((h) => h.hostId === target.id)
    : undefined;
  return {
    vm: { name: vm.name, state: vm.state, memoryMiB: vm.memoryMiB, hostId: vm.hostId },
    source: source && { id: source.id, name: source.name, clusterId: source.clusterId },
    target: target && {
      id: target.id,
      name: target.name,
      status: target.status,
      maintenance: target.maintenance,
      clusterId: target.clusterId,
      address: target.address,
      freeMiB: verdict?.freeMiB ?? 0,
      affinityConflict: verdict?.excluded?.filter === 'affinity' ? verdict.excluded.reason : null,
      localPool: await targetLocalPool(target.id),
    },
    disks: await diskPlaces(hw?.disks ?? []),
    policy: await migrationPolicy(source?.clusterId ?? ''),
    lastDirtyBps: lastDirty.get(vm.id),
    cpu: { vm: vmCpu, source: source?.cpu ?? null, target: target?.cpu ?? null, baseline: policies?.cpuBaseline ?? '' },
    lastSentBytes: lastSent.get(vm.id),
    measuredBps: pairBps.get(`${source?.id}>${target?.id}`) ?? pairBps.get('*'),
  };
}

/** The pre-checks for one target, or for every other host of the VM's cluster when none is given. */
export async function checkMigration(
  vm: VmRecord,
  input: { targetHostId?: string | undefined; mode?: MigrationMode | undefined },
  user: UserView,
): Promise<MigrationCheckResult[]> {
  await assertMayMigrate(vm, user, input.targetHostId);
  // Every other host the caller may run VMs on (an operator on a cluster: that cluster's).
  const targets = input.targetHostId
    ? [input.targetHostId]
    : (await hosts.list({ visibleTo: await infraVisibility(user) })).filter((h) => h.id !== vm.hostId).map((h) => h.id);
  const out: MigrationCheckResult[] = [];
  for (const id of targets) {
    const facts = await gatherFacts(vm, id);
    const r = evaluateMigration(facts, input.mode);
    out.push({ target: facts.target && { id: facts.target.id, name: facts.target.name }, ...r });
  }
  return out;
}

/**
 * Moving a VM between hosts is infrastructure work: besides 'operate' on the VM (the procedure's
 * rule), the caller operates its host and the target (an operator on their cluster, admins
 * anywhere). A VM's owner or a project member does not pick hosts; a target out of the caller's
 * sight is reported missing.
 */
async function assertMayMigrate(vm: VmRecord, user: UserView, targetHostId: string | undefined): Promise<void> {
  if (user.role === 'admin') return;
  if (!vm.hostId || !(await can(user, 'operate', { kind: 'host', id: vm.hostId }))) {
    throw new VireoError(
      'FORBIDDEN',
      "Moving a VM between hosts needs a role on its host or cluster (operator); ask that cluster's administrator.",
      { object: 'vm' },
    );
  }
  if (targetHostId) await assertCan(user, 'operate', { kind: 'host', id: targetHostId });
}

function refusal(r: ReturnType<typeof evaluateMigration>, targetName: string): VireoError {
  const failed = r.checks.filter((c) => !c.ok);
  const code = failed.some((c) => c.id === 'online')
    ? 'HOST_OFFLINE'
    : failed.some((c) => c.id === 'memory')
      ? 'NO_HOST_CAPACITY'
      : 'INVALID_STATE';
  return new VireoError(code, `Cannot migrate to ${targetName}: ${failed.map((c) => c.reason).join(' ')}`, {
    object: 'vm',
  });
}

export interface MigrateInput {
  targetHostId: string;
  mode?: MigrationMode | undefined;
  maxDowntimeMs?: number | undefined;
  bandwidthMiBs?: number | undefined;
  autoConverge?: boolean | undefined;
  postCopy?: boolean | undefined;
}

export async function migrateVm(vm: VmRecord, input: MigrateInput, user: UserView): Promise<{ taskId: string }> {
  await assertMayMigrate(vm, user, input.targetHostId);
  if (!vm.hostId || !vm.hostName) throw new VireoError('NOT_FOUND', `VM ${vm.name} has no host.`, { object: 'host' });
  const facts = await gatherFacts(vm, input.targetHostId);
  // What was asked overrides the cluster's policy, for the estimate as for the migration.
  facts.policy = {
    ...facts.policy,
    maxDowntimeMs: input.maxDowntimeMs ?? facts.policy.maxDowntimeMs,
    bandwidthMiBs: input.bandwidthMiBs ?? facts.policy.bandwidthMiBs,
  };
  const r = evaluateMigration(facts, input.mode);
  const target = facts.target;
  if (!target || !r.ok) throw refusal(r, target?.name ?? 'that host');
  const policy = facts.policy;
  const sourceName = vm.hostName;
  const sourceId = vm.hostId;
  const agent = await hostAgent(sourceId, sourceName);
  const release = await lockVm(vm, `migration to ${target.name}`);
  const params: AgentParams<'vm.migrate'> = {
    uuid: vm.uuid,
    destination: { address: target.address ?? '', hostId: target.id },
    mode: r.mode,
    live: r.live,
    maxDowntimeMs: input.maxDowntimeMs ?? policy.maxDowntimeMs,
    bandwidthMiBs: input.bandwidthMiBs ?? policy.bandwidthMiBs,
    autoConverge: input.autoConverge ?? policy.autoConverge,
    postCopy: input.postCopy ?? policy.postCopy,
  };
  const estimate = r.estimate;
  try {
    const taskId = await startTask(
      // hostId: the destination, which marks the domain appearing there as expected.
      { kind: MIGRATE_TASK_KIND, vmId: vm.id, hostId: target.id, ownerId: user.id },
      async (progress, taskId) => {
        // The cluster's parallel migrations per host, for the source and the target alike.
        const names: Record<string, string> = { [sourceId]: sourceName, [target.id]: target.name };
        await waitForSlot(
          taskId,
          policy.parallelPerHost,
          (busy) => progress(0, `Waiting for a migration slot on ${names[busy] ?? busy}`),
          `Migration cancelled while waiting for a slot; ${vm.name} stays on ${sourceName}.`,
        );
        progress(0, `${r.live ? 'Live' : 'Cold'} migration to ${target.name} (${r.mode} storage)`);
        // Block: the destination volumes first (removed again below if the migration fails).
        let copies: DiskCopy[] = [];
        const targetAgent = r.mode === 'block' ? await hostAgent(target.id, target.name) : null;
        if (targetAgent) {
          const pool = target.localPool ?? (await targetLocalPool(target.id));
          if (!pool)
            throw new VireoError('NOT_FOUND', `${target.name} has no storage pool of its own.`, { object: 'pool' });
          copies = await makeTargetVolumes(await localDisks(vm.id), pool, agent, targetAgent);
          if (copies.length === 0) {
            throw new VireoError('INVALID_STATE', `${vm.name} has no disk on host storage to copy.`, { object: 'vm' });
          }
          params.diskPaths = copies.map((c) => ({ from: c.from.path, to: c.to.path }));
          progress(0, `Copying ${copies.length} disk(s) into ${pool} on ${target.name}`);
        }
        const dropCopies = () =>
          targetAgent
            ? removeVolumes(
                targetAgent,
                copies.map((c) => c.to),
              )
            : Promise.resolve([]);
        let cancelled = false;
        const watch = setInterval(() => {
          if (cancelled) return;
          tasks
            .cancelRequested(taskId)
            .then(async (yes) => {
              if (!yes || cancelled) return;
              cancelled = true;
              progress(0, 'Cancelling: aborting the migration on the source');
              await agent.request('vm.migrateAbort', { uuid: vm.uuid }, { timeoutMs: 30_000 });
            })
            .catch((err) => console.error(`[task ${taskId}] could not abort the migration:`, err));
        }, 1000);
        let result: VmMigrateResult;
        try {
          result = await agent.request('vm.migrate', params, {
            taskId,
            timeoutMs: 6 * 3600_000,
            onProgress: (p, m) => progress(p, m),
          });
        } catch (err) {
          if (cancelled || (await tasks.cancelRequested(taskId))) {
            await dropCopies();
            await publishVm(vm.id);
            throw new VireoError('CANCELLED', `Migration cancelled; ${vm.name} keeps running on ${sourceName}.`, {
              object: 'vm',
            });
          }
          // A re-sent request whose domain already left: done if the target has it.
          if (!VireoError.is(err, 'NOT_FOUND') || !(await targetHas(target.id, vm.uuid))) {
            await dropCopies();
            throw migrationFailed(err, target.name, vm.name, sourceName);
          }
          result = { totalMs: 0, postCopy: false, alreadyDone: true };
        } finally {
          clearInterval(watch);
        }
        if (result.dirtyBps !== undefined) lastDirty.set(vm.id, result.dirtyBps);
        if (r.live && r.mode === 'shared') learn(vm.id, sourceId, target.id, result, (params.bandwidthMiBs ?? 0) > 0);
        const measured = result.alreadyDone
          ? 'finished earlier (not measured)'
          : `${duration(result.totalMs)}${result.downtimeMs !== undefined ? `, downtime ${result.downtimeMs} ms` : ''}${result.postCopy ? ', switched to post-copy' : ''}`;
        const expected = !estimate
          ? 'no estimate'
          : r.live
            ? `estimated ${duration(estimate.durationMs)}, downtime ${estimate.downtimeMs} ms`
            : `estimated ${duration(estimate.durationMs)}`;
        // The source's volumes go only now that the VM runs on the copies.
        const left = await removeVolumes(
          agent,
          copies.map((c) => c.from),
          10_000,
        );
        const copied = copies.length
          ? ` Copied ${copies.map((c) => `${c.from.pool}/${c.from.volume}`).join(', ')} to ${copies[0]?.to.pool} on ${target.name}; ` +
            (left.length ? `could not remove ${left.join(', ')} on ${sourceName}.` : `removed from ${sourceName}.`)
          : '';
        const message = `Migrated from ${sourceName} to ${target.name}: ${measured} (${expected}).${copied}`;
        await vmMigrations.finish({
          vmId: vm.id,
          uuid: vm.uuid,
          fromHostId: sourceId,
          hostId: target.id,
          taskId,
          // libvirt keeps a paused guest paused on the destination.
          state: r.live ? (vm.state === 'paused' ? 'paused' : 'running') : 'shutoff',
          reason: r.live ? 'migrated' : null,
          message,
          event: { severity: 'info', kind: 'vm.migrated', message: `VM ${vm.name}: ${message}` },
          disks: copies.map((c) => ({ position: c.position, ...c.to })),
        });
        await publishVm(vm.id);
        await publishTask(taskId);
        return message;
      },
      release,
    );
    return { taskId };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * A migration libvirt gave up on (the destination's libvirtd gone, the link cut, ...): said as a
 * failed migration with libvirt's reason, not as a refusal. libvirt leaves a failed live
 * migration's guest on the source (its record never moved).
 */
function migrationFailed(err: unknown, targetName: string, vmName: string, sourceName: string): unknown {
  if (!VireoError.is(err) || !err.libvirt) return err;
  return new VireoError(
    err.code,
    `Migration to ${targetName} failed: ${err.libvirt.message}. ${vmName} stays on ${sourceName}.`,
    { object: 'vm', libvirt: err.libvirt },
  );
}

const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

async function targetHas(hostId: string, uuid: string): Promise<boolean> {
  return (await hostDomains.onHosts([hostId])).some((d) => d.uuid === uuid);
}

/** Asks a running migration to stop; its owner or an admin may. */
export async function cancelMigration(taskId: string, user: UserView): Promise<{ cancelled: boolean }> {
  const task = await tasks.byId(taskId);
  if (!task || (user.role !== 'admin' && task.ownerId !== user.id)) {
    throw new VireoError('NOT_FOUND', 'No such task, or it is not yours.', { object: 'task' });
  }
  if (task.kind !== MIGRATE_TASK_KIND) {
    throw new VireoError('INVALID_STATE', 'Only a migration can be cancelled here.', { object: 'task' });
  }
  return { cancelled: await tasks.requestCancel(taskId) };
}
