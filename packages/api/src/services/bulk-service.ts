/**
 * Bulk actions: one task (kind `vm.bulk`) per job, its per-VM lines in BulkItem rows. Power
 * actions and deletes run through the VM's own operation (vm-service: same checks, locks, agent
 * routing and a task of its own per VM), at most BULK_PARALLELISM at a time; one VM failing does
 * not stop the others. Everything is in the database, so any manager answers for a job's lines.
 */
import { type BulkItemRecord, bulkItems, savedSearches, tasks, vmTags, vms } from '@vireo/db';
import { type ErrorCode, toErrorPayload, VireoError } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import { BULK_MAX_VMS, type BulkPlanInput, type BulkTargetInput, vmFilterInput } from '../schemas/bulk.ts';
import type { UserView } from '../views.ts';
import { BULK_PERMISSION, type BulkAction, type BulkPlan, planBulk, snapshotWithMemory } from './bulk-plan.ts';
import { eachLimited } from './each-limited.ts';
import { startTask } from './tasks.ts';
import { createSnapshot } from './snapshots.ts';
import { publishVm } from './views.ts';
import { visibleMessage } from './visibility.ts';
import type { VmRecord } from './vm-access.ts';
import { deleteVm, forceOffVm, shutdownVm, startVm } from './vm-service.ts';
import { can } from './permissions/can.ts';
import { vmVisibility } from './permissions/visibility.ts';

/** VM operations a job runs at once: enough to overlap agent round trips, few enough to not flood a host. */
export const BULK_PARALLELISM = 4;

/** The VMs a target names, as this user may act on them (never another user's, for non-admins). */
async function resolveTarget(user: UserView, target: BulkTargetInput): Promise<VmRecord[]> {
  if ('vmIds' in target) {
    const ids = [...new Set(target.vmIds)];
    const found = await vms.byIds(ids, await vmVisibility(user));
    if (found.length !== ids.length) {
      throw new VireoError(
        'NOT_FOUND',
        'Some of the selected VMs no longer exist (or are not yours). Reload the list.',
        {
          object: 'vm',
        },
      );
    }
    return found.sort((a, b) => a.name.localeCompare(b.name));
  }
  const search = await savedSearches.byId(target.savedSearchId);
  if (!search || search.userId !== user.id) {
    throw new VireoError('NOT_FOUND', 'No such saved search.', { object: 'vm' });
  }
  const filter = vmFilterInput.parse(JSON.parse(search.params));
  const visibleTo = await vmVisibility(user);
  const { rows, total } = await vms.matching({ ...filter, name: filter.name || undefined, visibleTo }, BULK_MAX_VMS);
  if (total > BULK_MAX_VMS) {
    throw new VireoError(
      'BAD_INPUT',
      `"${search.name}" matches ${total} VMs; a bulk job acts on at most ${BULK_MAX_VMS}.`,
      {
        object: 'vm',
      },
    );
  }
  return rows;
}

/** VMs checked for the action at once while planning (each can() is a few reads). */
const PLAN_CHECKS_AT_ONCE = 8;

/**
 * Plans with each VM checked for the action as the run checks it (can() with BULK_PERMISSION),
 * so a VM the caller's role cannot act on is skipped with that reason, not promised.
 */
async function plan(user: UserView, input: BulkPlanInput, targets: readonly VmRecord[]): Promise<BulkPlan> {
  const permission = BULK_PERMISSION[input.action];
  const denied = new Set<string>();
  await eachLimited(targets, PLAN_CHECKS_AT_ONCE, async (vm) => {
    if (!(await can(user, permission, { kind: 'vm', id: vm.id }))) denied.add(vm.id);
  });
  return planBulk(
    input.action,
    targets.map((vm) => ({ ...vm, allowed: !denied.has(vm.id) })),
    input.tag,
  );
}

/** The dry run: every VM of the target, what will happen to it or why it is skipped. Changes nothing. */
export async function planBulkJob(user: UserView, input: BulkPlanInput): Promise<BulkPlan> {
  return plan(user, input, await resolveTarget(user, input.target));
}

/** Starts the job as a task; resolves with its id at once. */
export async function runBulkJob(
  user: UserView,
  input: { plan: BulkPlanInput; confirmVmIds: string[] },
): Promise<{ taskId: string }> {
  const targets = await resolveTarget(user, input.plan.target);
  const planned = await plan(user, input.plan, targets);
  const willRun = planned.items.filter((i) => i.outcome === 'run').map((i) => i.vmId);
  const confirmed = new Set(input.confirmVmIds);
  if (willRun.length !== confirmed.size || willRun.some((id) => !confirmed.has(id))) {
    throw new VireoError('CONFLICT', 'The VMs or their states changed since the dry run. Review the dry run again.', {
      object: 'vm',
    });
  }
  const byId = new Map(targets.map((vm) => [vm.id, vm]));
  let lines: BulkItemRecord[] = [];
  const taskId = await startTask({ kind: 'vm.bulk', ownerId: user.id }, async (progress, taskId) => {
    await bulkItems.createMany(
      taskId,
      planned.items.map((item, position) => ({ ...item, position })),
    );
    lines = await bulkItems.listFor(taskId);
    const todo = lines.filter((l) => l.outcome === 'run');
    for (const line of lines) {
      if (line.outcome === 'skip') await bulkItems.update(line.id, { outcome: 'skipped', message: line.message });
    }
    let done = 0;
    let failed = 0;
    await eachLimited(todo, BULK_PARALLELISM, async (line) => {
      const vm = byId.get(line.vmId);
      const ok = vm ? await runOne(user, input.plan, vm, line) : false;
      if (!ok) failed++;
      done++;
      progress((done / Math.max(1, todo.length)) * 100, `${done} of ${todo.length} done`);
    });
    const skipped = lines.length - todo.length;
    const summary = `${describe(planned.action)}: ${todo.length - failed} done, ${failed} failed, ${skipped} skipped`;
    if (failed > 0) throw new VireoError('CONFLICT', summary, { object: 'vm' });
    return summary;
  });
  return { taskId };
}

function describe(action: BulkAction): string {
  return {
    start: 'Start',
    shutdown: 'Shut down',
    forceOff: 'Force off',
    snapshot: 'Snapshot',
    delete: 'Delete',
    tag: 'Tag',
    untag: 'Untag',
  }[action];
}

const VM_OPS: Record<'start' | 'shutdown' | 'forceOff' | 'delete', typeof startVm> = {
  start: startVm,
  shutdown: shutdownVm,
  forceOff: forceOffVm,
  delete: deleteVm,
};

/** One name for every snapshot a bulk job takes, so they can be found (and reverted) together. */
function bulkSnapshotName(jobTaskId: string): string {
  return `bulk-${jobTaskId.slice(-10).replace(/[^A-Za-z0-9]/g, 'x')}`;
}

/** One VM's part of the job; records its outcome. Returns whether it succeeded. */
async function runOne(user: UserView, input: BulkPlanInput, planned: VmRecord, line: BulkItemRecord): Promise<boolean> {
  const fail = async (code: ErrorCode | null, message: string, childTaskId?: string) => {
    await bulkItems.update(line.id, {
      outcome: 'failed',
      message: visibleMessage(code, message, user.role),
      childTaskId,
    });
    return false;
  };
  try {
    // Seeing a VM is not acting on it: each VM is checked for the action (issue 10).
    if (!(await can(user, BULK_PERMISSION[input.action], { kind: 'vm', id: planned.id }))) {
      return fail('FORBIDDEN', `Your role does not allow ${BULK_PERMISSION[input.action]} on this VM.`);
    }
    if (input.action === 'tag' || input.action === 'untag') {
      const tag = input.tag ?? '';
      if (input.action === 'tag') await vmTags.add([planned.id], tag);
      else await vmTags.remove([planned.id], tag);
      await publishVm(planned.id);
      await bulkItems.update(line.id, {
        outcome: 'succeeded',
        message: input.action === 'tag' ? `Tagged "${tag}"` : `Untagged "${tag}"`,
      });
      return true;
    }
    // Read again: the VM may have moved on since the dry run; the operation checks its state itself.
    const vm = await vms.byId(planned.id);
    if (!vm) return fail('NOT_FOUND', 'The VM no longer exists.');
    const { taskId } =
      input.action === 'snapshot'
        ? await createSnapshot(
            vm,
            {
              name: bulkSnapshotName(line.taskId),
              description: 'Taken by a bulk action',
              withMemory: snapshotWithMemory(vm.state),
            },
            user.id,
          )
        : await VM_OPS[input.action](vm, user);
    await bulkItems.update(line.id, { outcome: 'running', message: line.message, childTaskId: taskId });
    const child = await waitForTask(taskId, childTimeoutMs(input.action));
    if (child.state === 'succeeded') {
      await bulkItems.update(line.id, { outcome: 'succeeded', message: child.message ?? 'Done', childTaskId: taskId });
      return true;
    }
    return fail(child.errorCode as ErrorCode | null, child.errorMessage ?? 'Failed', taskId);
  } catch (err) {
    const payload = toErrorPayload(err);
    return fail(payload.code, payload.message);
  }
}

function childTimeoutMs(action: BulkAction): number {
  const env = managerEnv();
  const seconds = action === 'shutdown' ? env.VIREO_SHUTDOWN_TIMEOUT_S : env.VIREO_DISK_OPERATION_TIMEOUT_S;
  return (seconds + 60) * 1000;
}

/**
 * The VM's own task, read from the database until it ends (a task's end is a row update, so this
 * holds whichever manager's code finishes it).
 */
async function waitForTask(
  taskId: string,
  timeoutMs: number,
): Promise<{ state: string; message: string | null; errorCode: string | null; errorMessage: string | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await tasks.byId(taskId);
    if (!task) return { state: 'failed', message: null, errorCode: 'INTERNAL', errorMessage: 'Its task disappeared.' };
    if (task.state === 'succeeded' || task.state === 'failed') return task;
    if (Date.now() > deadline) {
      return {
        state: 'failed',
        message: null,
        errorCode: 'TIMEOUT',
        errorMessage: 'No result in time; see its own task.',
      };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A job's per-VM lines, for its owner or an admin. */
export async function bulkJobItems(user: UserView, taskId: string): Promise<BulkItemRecord[]> {
  const task = await tasks.byId(taskId);
  if (!task || task.kind !== 'vm.bulk' || (user.role !== 'admin' && task.ownerId !== user.id)) {
    throw new VireoError('NOT_FOUND', 'No such bulk job, or it is not yours.', { object: 'task' });
  }
  return bulkItems.listFor(taskId);
}
