/**
 * The load balancer per cluster (issue 8): preview a plan (nothing moves), apply it as live
 * migrations under one parent task, and the periodic check of 'recommend' and 'automatic'
 * clusters.
 *
 * - The plan is planner's (plan.ts) over the placement snapshot; each proposed move also gets
 *   the migration pre-checks' verdict, so the preview says when a move would be refused.
 * - Apply runs the moves one at a time through `migrateVm` (the only path by which a VM changes
 *   host), each a normal vm.migrate task; a plan whose VMs moved meanwhile is refused as stale.
 * - The last run's report (per-move outcome) and the periodic check's decision are on the
 *   Cluster row (db cluster-balancer), so every manager shows the same; the check of a round is
 *   claimed by compare-and-set there, so with several managers it runs once.
 */
import { clusterBalancer, clusters, events, hosts, tasks, users, vms } from '@vireo/db';
import { toErrorPayload, VireoError } from '@vireo/protocol';
import type { UserView } from '../../views.ts';
import { loadSnapshot } from '../placement/loader.ts';
import { startTask } from '../tasks.ts';
import { checkMigration, migrateVm } from '../vm-migrate.ts';
import { type BalancePlan, type MovableVm, type PlannedMove, planBalance } from './plan.ts';

export const BALANCE_TASK_KIND = clusterBalancer.BALANCE_TASK_KIND;

/** A proposed move with the migration pre-checks' verdict on it now. */
export type PreviewMove = PlannedMove & { precheck: { ok: boolean; reason: string } };
export type BalancePreview = Omit<BalancePlan, 'moves'> & {
  clusterName: string;
  mode: string;
  moves: PreviewMove[];
};

export type MoveOutcome = PlannedMove & {
  status: 'waiting' | 'moving' | 'moved' | 'failed' | 'skipped';
  taskId: string | null;
  message: string;
};

/** What the cluster's balancer last did or decided (JSON on the Cluster row). */
export type BalancerReport = {
  at: string;
  /** 'manual': an admin's apply; 'automatic'/'recommend': the periodic check. */
  trigger: 'manual' | 'automatic' | 'recommend';
  state: 'running' | 'done' | 'failed' | 'idle';
  taskId: string | null;
  by: string;
  /** Why it acted or did not, for people. */
  decision: string;
  spreadBefore: number;
  /** Measured afresh after the moves (null while running or when nothing moved). */
  spreadAfter: number | null;
  moves: MoveOutcome[];
  /** On a periodic check's report: the last run (manual or automatic), kept so it is not lost. */
  lastRun?: BalancerReport | null;
};

export type BalancerStatus = {
  clusterId: string;
  mode: string;
  checkedAt: string | null;
  actedAt: string | null;
  /** The latest report: a run's, or the last periodic check's. */
  report: BalancerReport | null;
  /** The last run (moves made), whether or not a periodic check came after it. */
  lastRun: BalancerReport | null;
  /** The parent task of a run still going, if any. */
  runningTaskId: string | null;
};

/** How often every manager looks at automatic and recommend clusters (the claim keeps it to one). */
export const BALANCER_TICK_MS = 60_000;

/** The running VMs of the cluster's hosts, with their affinity groups. */
async function movableVms(clusterId: string, snapshot: Awaited<ReturnType<typeof loadSnapshot>>) {
  const hostIds = snapshot.hosts.filter((h) => h.clusterId === clusterId).map((h) => h.id);
  const groupIds = new Map<string, string[]>();
  for (const g of snapshot.groups) {
    for (const m of g.members) groupIds.set(m.vmId, [...(groupIds.get(m.vmId) ?? []), g.id]);
  }
  const out: MovableVm[] = [];
  for (const hostId of hostIds) {
    for (const v of await vms.list({ hostId })) {
      // Live migration only: a stopped VM's memory is promised but moving it frees nothing in use.
      if (v.state !== 'running') continue;
      out.push({
        id: v.id,
        name: v.name,
        hostId,
        memoryMiB: v.memoryMiB,
        vcpus: v.vcpus,
        groupIds: groupIds.get(v.id) ?? [],
      });
    }
  }
  return out;
}

async function computePlan(clusterId: string): Promise<{ plan: BalancePlan; name: string; mode: string }> {
  const p = await clusters.policies(clusterId);
  const state = await clusterBalancer.of(clusterId);
  if (!p || !state) throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
  const snapshot = await loadSnapshot();
  const plan = planBalance({
    clusterId,
    snapshot,
    vms: await movableVms(clusterId, snapshot),
    maxMoves: p.balancerMaxMoves,
    thresholdPoints: p.balancerThreshold,
  });
  return { plan, name: state.clusterName, mode: p.balancerMode };
}

/** The what-if preview: the moves the balancer would make now, explained; nothing moves. */
export async function previewBalance(clusterId: string, user: UserView): Promise<BalancePreview> {
  const { plan, name, mode } = await computePlan(clusterId);
  const moves: PreviewMove[] = [];
  for (const m of plan.moves) {
    const vm = await vms.byId(m.vmId);
    if (!vm) continue;
    const [check] = await checkMigration(vm, { targetHostId: m.toHostId }, user);
    const failed = (check?.checks ?? []).filter((c) => !c.ok).map((c) => c.reason);
    moves.push({
      ...m,
      precheck: check?.ok
        ? { ok: true, reason: 'the migration pre-checks pass' }
        : { ok: false, reason: failed.join(' ') || 'no pre-check result' },
    });
  }
  return { ...plan, moves, clusterName: name, mode };
}

export function parseReport(json: string | null): BalancerReport | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as BalancerReport;
  } catch {
    return null;
  }
}

async function runningTask(report: BalancerReport | null): Promise<string | null> {
  if (report?.state !== 'running' || !report.taskId) return null;
  const t = await tasks.byId(report.taskId);
  return t && (t.state === 'queued' || t.state === 'running') ? t.id : null;
}

export async function balancerStatus(clusterId: string): Promise<BalancerStatus> {
  const s = await clusterBalancer.of(clusterId);
  if (!s) throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
  const report = parseReport(s.report);
  return {
    clusterId,
    mode: s.mode,
    checkedAt: s.checkedAt?.toISOString() ?? null,
    actedAt: s.actedAt?.toISOString() ?? null,
    report,
    lastRun: report && report.state !== 'idle' ? report : (report?.lastRun ?? null),
    runningTaskId: await runningTask(report),
  };
}

/** A move as the caller previewed it: the VM and where it was to go from and to. */
export type MoveRef = { vmId: string; fromHostId: string; toHostId: string };

async function taskEnd(taskId: string): Promise<{ ok: boolean; message: string }> {
  for (;;) {
    const t = await tasks.byId(taskId);
    if (!t) return { ok: false, message: 'its task disappeared' };
    if (t.state === 'succeeded') return { ok: true, message: t.message ?? '' };
    if (t.state === 'failed') return { ok: false, message: t.errorMessage ?? t.errorCode ?? 'failed' };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Runs the moves (the previewed ones when given, else the plan of now) as migrations, one at a
 * time, under one parent task. Refuses a stale plan: a VM no longer on the host the plan moves it
 * from, or no longer running.
 */
export async function applyBalance(
  clusterId: string,
  asked: readonly MoveRef[] | undefined,
  user: UserView,
  trigger: BalancerReport['trigger'] = 'manual',
): Promise<{ taskId: string | null; moves: number; decision: string }> {
  if (user.role !== 'admin') throw new VireoError('FORBIDDEN', 'Only an administrator can balance a cluster.');
  const state = await clusterBalancer.of(clusterId);
  if (!state) throw new VireoError('NOT_FOUND', 'No such cluster.', { object: 'cluster' });
  const running = await runningTask(parseReport(state.report));
  if (running) {
    throw new VireoError('CONFLICT', `Cluster ${state.clusterName} is being balanced already (task ${running}).`, {
      object: 'cluster',
    });
  }
  const { plan } = await computePlan(clusterId);
  let moves: PlannedMove[] = plan.moves;
  if (asked) {
    const stale: string[] = [];
    moves = [];
    for (const ref of asked) {
      const vm = await vms.byId(ref.vmId);
      if (!vm) {
        stale.push('a VM of the plan no longer exists');
        continue;
      }
      if (vm.hostId !== ref.fromHostId) stale.push(`${vm.name} is now on ${vm.hostName ?? 'no host'}`);
      else if (vm.state !== 'running') stale.push(`${vm.name} is ${vm.state}`);
      const planned = plan.moves.find((m) => m.vmId === ref.vmId && m.toHostId === ref.toHostId);
      moves.push(
        planned ?? {
          vmId: vm.id,
          vmName: vm.name,
          memoryMiB: vm.memoryMiB,
          fromHostId: ref.fromHostId,
          fromHostName: vm.hostName ?? ref.fromHostId,
          toHostId: ref.toHostId,
          toHostName: (await hosts.byId(ref.toHostId))?.name ?? ref.toHostId,
          spreadBefore: plan.spreadBefore,
          spreadAfter: plan.spreadBefore,
          explanation: `move ${vm.name} as previewed`,
        },
      );
    }
    if (stale.length > 0) {
      throw new VireoError(
        'CONFLICT',
        `The plan is stale: ${stale.join('; ')} since it was previewed. Preview the plan again.`,
        { object: 'cluster' },
      );
    }
  }
  if (moves.length === 0) return { taskId: null, moves: 0, decision: plan.summary };

  const outcomes: MoveOutcome[] = moves.map((m) => ({ ...m, status: 'waiting', taskId: null, message: '' }));
  const report: BalancerReport = {
    at: new Date().toISOString(),
    trigger,
    state: 'running',
    taskId: null,
    by: user.username,
    decision: `${moves.length} move(s): ${plan.summary}`,
    spreadBefore: plan.spreadBefore,
    spreadAfter: null,
    moves: outcomes,
  };
  const save = (actedAt?: Date) => clusterBalancer.setReport(clusterId, JSON.stringify(report), actedAt);
  const taskId = await startTask({ kind: BALANCE_TASK_KIND, ownerId: user.id }, async (progress, id) => {
    report.taskId = id;
    await save(new Date());
    let done = 0;
    for (const [i, o] of outcomes.entries()) {
      progress((i / outcomes.length) * 95, `Move ${i + 1} of ${outcomes.length}: ${o.explanation}`);
      const vm = await vms.byId(o.vmId);
      if (!vm || vm.hostId !== o.fromHostId || vm.state !== 'running') {
        o.status = 'skipped';
        o.message = vm ? `${vm.name} is ${vm.state} on ${vm.hostName ?? 'no host'} now` : 'the VM is gone';
        await save();
        continue;
      }
      try {
        const started = await migrateVm(vm, { targetHostId: o.toHostId }, user);
        o.status = 'moving';
        o.taskId = started.taskId;
        await save();
        const end = await taskEnd(started.taskId);
        o.status = end.ok ? 'moved' : 'failed';
        o.message = end.message;
        if (end.ok) done++;
      } catch (err) {
        o.status = 'failed';
        o.message = toErrorPayload(err).message;
      }
      await save();
    }
    // The effect, measured afresh from the hosts' reports, not assumed from the plan.
    const after = await computePlan(clusterId);
    report.spreadAfter = after.plan.spreadBefore;
    report.state = done > 0 || outcomes.every((o) => o.status === 'skipped') ? 'done' : 'failed';
    await save();
    const failed = outcomes.filter((o) => o.status === 'failed');
    const message =
      `Balanced cluster ${state.clusterName}: ${done} of ${outcomes.length} move(s) done; ` +
      `spread of committed memory ${report.spreadBefore} → ${report.spreadAfter} pts` +
      (failed.length > 0 ? `; failed: ${failed.map((o) => `${o.vmName}: ${o.message}`).join('; ')}` : '.');
    await events.add({
      severity: failed.length > 0 ? 'warning' : 'info',
      kind: 'cluster.balanced',
      userId: user.id,
      message: `${trigger === 'manual' ? user.username : `The ${trigger} balancer`}: ${message}`,
    });
    if (report.state === 'failed') throw new VireoError('INVALID_STATE', message, { object: 'cluster' });
    return message;
  });
  return { taskId, moves: moves.length, decision: report.decision };
}

/** Acts as the oldest admin (tasks and events need an owner). */
async function systemAdmin(): Promise<UserView | null> {
  const admins = (await users.list()).filter((u) => u.role === 'admin');
  const a = admins[0];
  return a ? { id: a.id, username: a.username, role: 'admin' } : null;
}

/** What the periodic check does with a plan: why it acts or does not. Pure (unit-tested). */
export function decideCheck(
  mode: 'recommend' | 'automatic',
  plan: Pick<BalancePlan, 'moves' | 'summary'>,
  actedAt: Date | null,
  cooldownMinutes: number,
  now: Date,
): { act: boolean; decision: string } {
  if (plan.moves.length === 0) return { act: false, decision: `Nothing to do: ${plan.summary}.` };
  const n = plan.moves.length;
  if (mode === 'recommend') {
    return { act: false, decision: `Recommends ${n} move(s) (recommend-only: an admin applies them).` };
  }
  if (actedAt && now.getTime() - actedAt.getTime() < cooldownMinutes * 60_000) {
    const until = new Date(actedAt.getTime() + cooldownMinutes * 60_000);
    return {
      act: false,
      decision: `Would move ${n} VM(s), but it is in its cooldown until ${until.toISOString()} (last acted ${actedAt.toISOString()}).`,
    };
  }
  return { act: true, decision: `Moves ${n} VM(s): ${plan.summary}.` };
}

/**
 * One periodic check of one cluster, once its round is claimed: 'recommend' records the plan;
 * 'automatic' applies it unless in its cooldown. Either way the report says why.
 */
export async function checkCluster(clusterId: string, now: Date): Promise<BalancerReport | null> {
  const s = await clusterBalancer.of(clusterId);
  const p = await clusters.policies(clusterId);
  if (!s || !p || p.balancerMode === 'off') return null;
  const previous = parseReport(s.report);
  if (await runningTask(previous)) return previous;
  const mode = p.balancerMode;
  const { plan } = await computePlan(clusterId);
  let { act, decision } = decideCheck(mode, plan, s.actedAt, p.balancerCooldownMinutes, now);
  if (act) {
    const admin = await systemAdmin();
    if (admin) {
      await applyBalance(clusterId, undefined, admin, 'automatic');
      return parseReport((await clusterBalancer.of(clusterId))?.report ?? null);
    }
    act = false;
    decision = 'Cannot act: there is no administrator to run the migrations as.';
  }
  const report: BalancerReport = {
    at: now.toISOString(),
    trigger: mode,
    state: 'idle',
    taskId: null,
    by: 'balancer',
    decision,
    spreadBefore: plan.spreadBefore,
    spreadAfter: null,
    moves: plan.moves.map((m) => ({ ...m, status: 'waiting', taskId: null, message: 'recommended' })),
    lastRun: previous && previous.state !== 'idle' ? { ...previous, lastRun: null } : (previous?.lastRun ?? null),
  };
  await clusterBalancer.setReport(clusterId, JSON.stringify(report));
  return report;
}

/** Every cluster not 'off' whose round this manager claims. */
export async function balancerTick(now: Date): Promise<number> {
  let checked = 0;
  for (const s of await clusterBalancer.active()) {
    if (s.checkedAt && now.getTime() - s.checkedAt.getTime() < BALANCER_TICK_MS / 2) continue;
    if (!(await clusterBalancer.claimCheck(s.clusterId, s.checkedAt, now))) continue; // another manager has it
    checked++;
    try {
      await checkCluster(s.clusterId, now);
    } catch (err) {
      const message = `The balancer could not check cluster ${s.clusterName}: ${toErrorPayload(err).message}`;
      await events.add({ severity: 'warning', kind: 'cluster.balancer', message }).catch(() => {});
    }
  }
  return checked;
}

let timer: NodeJS.Timeout | undefined;

export function startBalancer(): void {
  if (timer) return;
  timer = setInterval(() => {
    balancerTick(new Date()).catch((err) => console.error('[balancer] tick failed:', err));
  }, BALANCER_TICK_MS);
  timer.unref();
}
