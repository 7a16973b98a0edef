/**
 * Maintenance mode (issue 8): empty a host so it can be worked on, and keep VMs off it until an
 * admin lets it back.
 *
 * - Enter sets the host 'entering' (placement and migrations keep off it from then on), then a
 *   job (task kind host.maintenance on the host) moves every VM away: running and paused ones
 *   by live migration, stopped ones by cold migration, at most the cluster's
 *   `migrationParallelPerHost` at once. Each target is the placement engine's choice among the
 *   other hosts of the cluster that also pass the migration pre-checks; each move is a normal
 *   vm.migrate task. When nothing runs there any more the host is 'maintenance'.
 * - A VM that cannot move (no target, pre-check refused, migration failed) leaves the host
 *   'entering' and the job fails with the reasons and the admin's choices: retry, stop those
 *   VMs (then they are moved stopped, or left stopped on the host), or force.
 * - State and the per-VM report live on the Host row, so every manager shows the same; the job
 *   is a task, so a manager that dies has it failed by another, and entering again resumes
 *   (VMs already moved are simply no longer on the host).
 * - Cancel (while entering) is a flag on the job's task row, so any manager may record it: the
 *   job starts no further move, lets the migrations in flight finish (aborting one is the
 *   migration's own Cancel), leaves moved VMs where they are, and puts the host back to 'none'.
 */
import { events, hostMaintenance, type MaintenanceState, tasks, vms } from '@vireo/db';
import { toErrorPayload, VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { eachLimited } from './each-limited.ts';
import { placeVm } from './placement.ts';
import { startTask } from './tasks.ts';
import { publishHost, toTaskView } from './views.ts';
import type { VmRecord } from './vm-access.ts';
import { checkMigration, migrateVm, migrationPolicy, placementCpu } from './vm-migrate.ts';
import { forceOffVm, shutdownVm } from './vm-service.ts';

export const MAINTENANCE_TASK_KIND = hostMaintenance.MAINTENANCE_TASK_KIND;

/** What would happen to one VM (the dry run shown before entering). */
export interface MaintenancePlanItem {
  vmId: string;
  vmName: string;
  state: string;
  /** live: migrated running; cold: moved stopped; blocked: no host can take it now. */
  action: 'live' | 'cold' | 'blocked';
  target: { id: string; name: string } | null;
  reason: string;
}

/** One VM in the job's report, as it goes. */
export interface MaintenanceReportItem {
  vmId: string;
  vmName: string;
  status: 'waiting' | 'stopping' | 'moving' | 'moved' | 'blocked' | 'left' | 'cancelled';
  target: string | null;
  taskId: string | null;
  reason: string;
}

export interface MaintenanceStatus {
  hostId: string;
  hostName: string;
  state: MaintenanceState;
  by: string | null;
  at: string | null;
  /** The latest maintenance job (running or finished), if any. */
  job: ReturnType<typeof toTaskView> | null;
  items: MaintenanceReportItem[];
  /** VMs still on the host, with their state. */
  vmsOnHost: { id: string; name: string; state: string }[];
}

const MOVABLE = ['running', 'paused', 'shutoff'];

async function loadHost(hostId: string) {
  const host = await hostMaintenance.of(hostId);
  if (!host) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  return host;
}

/**
 * The target for one VM: the placement engine's candidates (other hosts of the cluster) in
 * order of preference, the first with room left (`pending`: memory already promised by moves
 * this job started) whose migration pre-checks pass. Null with every host's reason otherwise.
 */
async function chooseTarget(
  vm: VmRecord,
  host: { hostId: string; clusterId: string },
  pending: ReadonlyMap<string, number>,
  user: UserView,
): Promise<{ target: { id: string; name: string } | null; reason: string }> {
  if (!MOVABLE.includes(vm.state)) {
    return { target: null, reason: `it is ${vm.state}: only a running, paused or stopped VM can be moved.` };
  }
  const decision = await placeVm({
    memoryMiB: vm.memoryMiB,
    vmId: vm.id,
    clusterId: host.clusterId,
    excludeHostIds: [host.hostId],
    cpu: await placementCpu(vm),
  });
  const reasons: string[] = [];
  for (const h of decision.hosts) {
    if (h.hostId === host.hostId) continue;
    if (h.excluded) {
      reasons.push(`${h.hostName}: ${h.excluded.reason}`);
      continue;
    }
    const free = h.freeMiB - (pending.get(h.hostId) ?? 0);
    if (free < vm.memoryMiB) {
      reasons.push(`${h.hostName}: needs ${vm.memoryMiB} MiB, ${Math.max(0, free)} MiB free once the other moves land`);
      continue;
    }
    const [check] = await checkMigration(vm, { targetHostId: h.hostId }, user);
    if (check?.ok) {
      const how = vm.state === 'shutoff' ? 'cold migration' : 'live migration';
      return { target: { id: h.hostId, name: h.hostName }, reason: `${how} to ${h.hostName}` };
    }
    const failed = (check?.checks ?? []).filter((c) => !c.ok).map((c) => c.reason);
    reasons.push(`${h.hostName}: ${failed.join(' ')}`);
  }
  return {
    target: null,
    reason: reasons.length > 0 ? `no host can take it (${reasons.join('; ')})` : 'no other host in its cluster',
  };
}

/** Dry run: where each VM of the host would go now, or why it cannot. Changes nothing. */
export async function maintenancePlan(hostId: string, user: UserView): Promise<MaintenancePlanItem[]> {
  const host = await loadHost(hostId);
  const pending = new Map<string, number>();
  const out: MaintenancePlanItem[] = [];
  for (const vm of await vms.list({ hostId })) {
    const { target, reason } = await chooseTarget(vm, host, pending, user);
    if (target) pending.set(target.id, (pending.get(target.id) ?? 0) + vm.memoryMiB);
    out.push({
      vmId: vm.id,
      vmName: vm.name,
      state: vm.state,
      action: !target ? 'blocked' : vm.state === 'shutoff' ? 'cold' : 'live',
      target,
      reason,
    });
  }
  return out;
}

function parseReport(json: string | null): MaintenanceReportItem[] {
  if (!json) return [];
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? (value as MaintenanceReportItem[]) : [];
  } catch {
    return [];
  }
}

export async function maintenanceStatus(hostId: string): Promise<MaintenanceStatus> {
  const host = await loadHost(hostId);
  const jobId = await hostMaintenance.latestJob(hostId);
  const job = jobId ? await tasks.byId(jobId) : null;
  return {
    hostId,
    hostName: host.hostName,
    state: host.state,
    by: host.by,
    at: host.at?.toISOString() ?? null,
    job: job && toTaskView(job),
    items: parseReport(host.report),
    vmsOnHost: (await vms.list({ hostId })).map((v) => ({ id: v.id, name: v.name, state: v.state })),
  };
}

/** Polls a task until it ends (it may run on another manager). */
async function taskEnd(taskId: string): Promise<{ ok: boolean; message: string }> {
  for (;;) {
    const t = await tasks.byId(taskId);
    if (!t) return { ok: false, message: 'its task disappeared' };
    if (t.state === 'succeeded') return { ok: true, message: t.message ?? '' };
    if (t.state === 'failed') return { ok: false, message: t.errorMessage ?? t.errorCode ?? 'failed' };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Shuts the guest down (ACPI, the usual timeout), forcing it off if it does not stop. */
async function stopVm(vm: VmRecord, user: UserView): Promise<void> {
  const { taskId } = await shutdownVm(vm, user);
  if ((await taskEnd(taskId)).ok) return;
  const fresh = await vms.byId(vm.id);
  if (!fresh || fresh.state === 'shutoff') return;
  const off = await taskEnd((await forceOffVm(fresh, user)).taskId);
  if (!off.ok) throw new VireoError('INVALID_STATE', `could not be stopped: ${off.message}`, { object: 'vm' });
}

/** Serialises "choose a target and start the move", so parallel moves see each other's memory. */
function mutex() {
  let tail: Promise<void> = Promise.resolve();
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.then(
      () => {},
      () => {},
    );
    return run;
  };
}

export interface EnterOptions {
  /** Stop the VMs that cannot move running (then move them stopped, or leave them stopped here). */
  stopBlocked?: boolean | undefined;
  /** Mark the host in maintenance at once, leaving whatever VMs are on it where they are. */
  force?: boolean | undefined;
}

export async function enterMaintenance(
  hostId: string,
  opts: EnterOptions,
  user: UserView,
): Promise<{ taskId: string | null; state: MaintenanceState }> {
  const host = await loadHost(hostId);
  const running = await hostMaintenance.runningJob(hostId);
  if (running) {
    throw new VireoError('CONFLICT', `Host ${host.hostName} is already entering maintenance (task ${running}).`, {
      object: 'host',
    });
  }
  if (opts.force) return forceMaintenance(host, user);
  if (!(await hostMaintenance.transition(hostId, ['none', 'entering', 'maintenance'], 'entering', user.username))) {
    throw new VireoError('CONFLICT', `Host ${host.hostName} changed meanwhile; try again.`, { object: 'host' });
  }
  await publishHost(hostId);
  try {
    const taskId = await startTask({ kind: MAINTENANCE_TASK_KIND, hostId, ownerId: user.id }, async (progress, id) => {
      // Two admins (or managers) who entered at the same instant: the older job goes on alone.
      const first = await hostMaintenance.runningJob(hostId);
      if (first !== id) {
        throw new VireoError('CONFLICT', `Another maintenance job (task ${first}) runs on ${host.hostName}.`, {
          object: 'host',
        });
      }
      if ((await hostMaintenance.of(hostId))?.state !== 'entering') {
        throw new VireoError('CONFLICT', `Maintenance of ${host.hostName} was ended meanwhile.`, { object: 'host' });
      }
      return evacuate(host, opts, user, progress, id);
    });
    return { taskId, state: 'entering' };
  } catch (err) {
    await hostMaintenance.transition(hostId, ['entering'], host.state, host.by);
    await publishHost(hostId);
    throw err;
  }
}

async function forceMaintenance(
  host: { hostId: string; hostName: string },
  user: UserView,
): Promise<{ taskId: null; state: MaintenanceState }> {
  await hostMaintenance.transition(host.hostId, ['none', 'entering', 'maintenance'], 'maintenance', user.username);
  const left = await vms.list({ hostId: host.hostId });
  const names = left.map((v) => `${v.name} (${v.state})`).join(', ');
  await events.add({
    severity: left.length > 0 ? 'warning' : 'info',
    kind: 'host.maintenance',
    hostId: host.hostId,
    userId: user.id,
    message:
      left.length > 0
        ? `${user.username} forced host ${host.hostName} into maintenance with ${left.length} VM(s) left on it: ${names}. They stay as they are (running ones keep running there); no VM is placed or migrated onto the host until maintenance ends, and they stop if the host is shut down.`
        : `${user.username} put host ${host.hostName} into maintenance (no VM on it).`,
  });
  await publishHost(host.hostId);
  return { taskId: null, state: 'maintenance' };
}

async function evacuate(
  host: { hostId: string; hostName: string; clusterId: string },
  opts: EnterOptions,
  user: UserView,
  progress: (p: number, m?: string) => void,
  jobId: string,
): Promise<string> {
  const policy = await migrationPolicy(host.clusterId);
  const onHost = await vms.list({ hostId: host.hostId });
  const items = new Map<string, MaintenanceReportItem>(
    onHost.map((v) => [
      v.id,
      { vmId: v.id, vmName: v.name, status: 'waiting', target: null, taskId: null, reason: 'waiting its turn' },
    ]),
  );
  let done = 0;
  const save = async (item?: MaintenanceReportItem) => {
    if (item) items.set(item.vmId, item);
    await hostMaintenance.setReport(host.hostId, JSON.stringify([...items.values()]));
    const finished = [...items.values()].filter((i) =>
      ['moved', 'blocked', 'left', 'cancelled'].includes(i.status),
    ).length;
    progress(
      onHost.length === 0 ? 90 : (finished / onHost.length) * 95,
      `${finished} of ${onHost.length} VM(s) handled (${done} moved)`,
    );
  };
  await save();
  progress(1, `Moving ${onHost.length} VM(s) off ${host.hostName}, ${policy.parallelPerHost} at once`);
  const pending = new Map<string, number>();
  const exclusive = mutex();
  const note = (severity: 'info' | 'warning', vmId: string, message: string) =>
    events.add({ severity, kind: 'host.maintenance', hostId: host.hostId, vmId, message }).catch(() => {});

  // Once seen, a cancel holds for the rest of the job (the flag is read from the task row).
  let cancelled = false;
  const cancelSeen = async () => {
    cancelled ||= await tasks.cancelRequested(jobId);
    return cancelled;
  };
  const skip = (item: MaintenanceReportItem) =>
    save({ ...item, status: 'cancelled', reason: 'not moved: maintenance was cancelled' });

  const moveOne = async (vmId: string, item: MaintenanceReportItem): Promise<void> => {
    if (await cancelSeen()) return skip(item);
    let vm = await vms.byId(vmId);
    if (!vm || vm.hostId !== host.hostId) {
      await save({ ...item, status: 'moved', reason: 'no longer on this host' });
      return;
    }
    let chosen = await exclusive(async () => {
      const c = await chooseTarget(vm as VmRecord, host, pending, user);
      if (c.target) pending.set(c.target.id, (pending.get(c.target.id) ?? 0) + (vm as VmRecord).memoryMiB);
      return c;
    });
    if (!chosen.target && vm.state !== 'shutoff' && opts.stopBlocked) {
      await save({ ...item, status: 'stopping', reason: `stopping it: ${chosen.reason}` });
      await stopVm(vm, user);
      vm = (await vms.byId(vmId)) ?? vm;
      chosen = await exclusive(async () => {
        const c = await chooseTarget(vm as VmRecord, host, pending, user);
        if (c.target) pending.set(c.target.id, (pending.get(c.target.id) ?? 0) + (vm as VmRecord).memoryMiB);
        return c;
      });
    }
    const target = chosen.target;
    if (!target) {
      const stopped = vm.state === 'shutoff';
      await save({
        ...item,
        status: stopped ? 'left' : 'blocked',
        reason: stopped ? `stays here, stopped: ${chosen.reason}` : chosen.reason,
      });
      await note('warning', vmId, `VM ${vm.name} cannot leave host ${host.hostName} for maintenance: ${chosen.reason}`);
      return;
    }
    const release = () => pending.set(target.id, (pending.get(target.id) ?? 0) - vm.memoryMiB);
    if (await cancelSeen()) {
      release();
      return skip(item);
    }
    let taskId: string;
    try {
      ({ taskId } = await migrateVm(vm, { targetHostId: target.id }, user));
    } catch (err) {
      release();
      throw err;
    }
    await save({ ...item, status: 'moving', target: target.name, taskId, reason: chosen.reason });
    const end = await taskEnd(taskId);
    release();
    if (end.ok) {
      done += 1;
      await save({ ...item, status: 'moved', target: target.name, taskId, reason: end.message });
      return;
    }
    const still = await vms.byId(vmId);
    const stopped = still?.state === 'shutoff';
    const reason = `migration to ${target.name} failed: ${end.message}`;
    await save({
      ...item,
      status: stopped ? 'left' : 'blocked',
      target: target.name,
      taskId,
      reason: stopped ? `stays here, stopped: ${reason}` : reason,
    });
    await note('warning', vmId, `VM ${vm.name} cannot leave host ${host.hostName} for maintenance: ${reason}`);
  };

  await eachLimited([...items.values()], policy.parallelPerHost, async (item) => {
    try {
      await moveOne(item.vmId, item);
    } catch (err) {
      const vm = await vms.byId(item.vmId).catch(() => null);
      const stopped = vm?.state === 'shutoff';
      const reason = toErrorPayload(err).message;
      await save({
        ...item,
        status: stopped ? 'left' : 'blocked',
        reason: stopped ? `stays here, stopped: ${reason}` : reason,
      });
      await note(
        'warning',
        item.vmId,
        `VM ${item.vmName} cannot leave host ${host.hostName} for maintenance: ${reason}`,
      );
    }
  });

  if (await cancelSeen()) {
    await hostMaintenance.transition(host.hostId, ['entering'], 'none', user.username);
    await publishHost(host.hostId);
    const message = `Maintenance of host ${host.hostName} cancelled: ${done} VM(s) moved stay where they are; the host is back in normal use.`;
    await events.add({ severity: 'info', kind: 'host.maintenance', hostId: host.hostId, userId: user.id, message });
    throw new VireoError('CANCELLED', message, { object: 'host' });
  }
  // What decides is what is on the host now (another admin may have moved or started VMs).
  const remaining = await vms.list({ hostId: host.hostId });
  const active = remaining.filter((v) => v.state !== 'shutoff');
  const left = remaining.length - active.length;
  const leftNote = left > 0 ? `; ${left} stopped VM(s) stay on it` : '';
  if (active.length === 0) {
    await hostMaintenance.transition(host.hostId, ['entering'], 'maintenance', user.username);
    await publishHost(host.hostId);
    const message = `Host ${host.hostName} is in maintenance: ${done} VM(s) moved${leftNote}.`;
    await events.add({ severity: 'info', kind: 'host.maintenance', hostId: host.hostId, userId: user.id, message });
    return message;
  }
  const reasons = active.map((v) => {
    const item = items.get(v.id);
    return `${v.name}: ${item && item.status !== 'moved' ? item.reason : `it is ${v.state} here`}`;
  });
  const message =
    `Host ${host.hostName} stays entering maintenance: ${active.length} VM(s) still run there (${reasons.join('; ')}). ` +
    'Choose: retry (enter again), stop those VMs (they are then moved stopped, or left stopped on the host), ' +
    'or force maintenance (they keep running there, and nothing new comes to the host).';
  await events.add({ severity: 'warning', kind: 'host.maintenance', hostId: host.hostId, userId: user.id, message });
  await publishHost(host.hostId);
  throw new VireoError('INVALID_STATE', message, { object: 'host' });
}

/**
 * Stops entering maintenance: with a job running, it is asked to stop after the migrations in
 * flight (it then puts the host back to normal itself); without one (a job that ended with VMs
 * that could not move), the host is back to normal at once.
 */
export async function cancelMaintenance(hostId: string, user: UserView): Promise<{ state: MaintenanceState }> {
  const host = await loadHost(hostId);
  if (host.state !== 'entering') {
    throw new VireoError(
      'INVALID_STATE',
      `Host ${host.hostName} is ${host.state === 'none' ? 'not in maintenance' : 'already in maintenance: exit it instead'}.`,
      { object: 'host' },
    );
  }
  const running = await hostMaintenance.runningJob(hostId);
  if (running) {
    await tasks.requestCancel(running);
    await events.add({
      severity: 'info',
      kind: 'host.maintenance',
      hostId,
      userId: user.id,
      message: `${user.username} cancelled maintenance of host ${host.hostName}: no further VM is moved; migrations under way finish.`,
    });
    return { state: 'entering' };
  }
  return exitMaintenance(hostId, user);
}

/** Makes the host usable again: placement and migrations may choose it. */
export async function exitMaintenance(hostId: string, user: UserView): Promise<{ state: MaintenanceState }> {
  const host = await loadHost(hostId);
  const running = await hostMaintenance.runningJob(hostId);
  if (running) {
    throw new VireoError(
      'CONFLICT',
      `Host ${host.hostName} is still entering maintenance (task ${running}): wait for it to end.`,
      { object: 'host' },
    );
  }
  if (host.state === 'none') {
    throw new VireoError('INVALID_STATE', `Host ${host.hostName} is not in maintenance.`, { object: 'host' });
  }
  if (!(await hostMaintenance.transition(hostId, ['entering', 'maintenance'], 'none', user.username))) {
    throw new VireoError('CONFLICT', `Host ${host.hostName} changed meanwhile; try again.`, { object: 'host' });
  }
  await events.add({
    severity: 'info',
    kind: 'host.maintenance',
    hostId,
    userId: user.id,
    message: `${user.username} ended maintenance of host ${host.hostName}: it takes VMs again.`,
  });
  await publishHost(hostId);
  return { state: 'none' };
}
