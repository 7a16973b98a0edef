// Long operations. A finished task (succeeded/failed) never changes state again:
// every transition is guarded by the current state, so a late progress report
// cannot resurrect it. What is learnt later about its outcome is appended (addOutcome).
import { type VmVisibility, vmVisibilityWhere } from './vm-visibility.ts';
import { getDb } from './client.ts';
import { type TaskState, UNFINISHED_TASK_STATES } from './enums.ts';
import { DbConflictError, mapDbErrors } from './errors.ts';
import type { Prisma } from './generated/client.ts';

export type TaskView = {
  id: string;
  kind: string;
  state: TaskState;
  progress: number;
  message: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  vmId: string | null;
  /** The VM's name when the task was created; kept after the VM is deleted. */
  vmName: string | null;
  hostId: string | null;
  ownerId: string | null;
  /** Who ran the task; null if that user was deleted. */
  ownerName: string | null;
  idempotencyKey: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

export type TaskCreateInput = {
  /** e.g. 'vm.create', 'vm.start' (see TASK_KINDS). */
  kind: string;
  vmId?: string | null;
  /** Defaults to the name of the VM `vmId` names. */
  vmName?: string | null;
  hostId?: string | null;
  ownerId?: string | null;
  message?: string | null;
  /** A retried request with the same key gets the existing task back. */
  idempotencyKey?: string | null;
  /** The manager running it; when that manager dies another one fails what it left. */
  managerId?: string | null;
};

const taskSelect = {
  id: true,
  kind: true,
  state: true,
  progress: true,
  message: true,
  errorCode: true,
  errorMessage: true,
  vmId: true,
  vmName: true,
  hostId: true,
  ownerId: true,
  owner: { select: { username: true } },
  idempotencyKey: true,
  createdAt: true,
  updatedAt: true,
  startedAt: true,
  finishedAt: true,
} satisfies Prisma.TaskSelect;

function toView({ owner, ...row }: Prisma.TaskGetPayload<{ select: typeof taskSelect }>): TaskView {
  return { ...row, state: row.state as TaskState, ownerName: owner?.username ?? null };
}

const unfinished = { state: { in: [...UNFINISHED_TASK_STATES] } } satisfies Prisma.TaskWhereInput;

async function byKey(idempotencyKey: string): Promise<TaskView | null> {
  const row = await getDb().task.findUnique({ where: { idempotencyKey }, select: taskSelect });
  return row && toView(row);
}

async function nameOfVm(vmId: string): Promise<string | null> {
  const vm = await getDb().vm.findUnique({ where: { id: vmId }, select: { name: true } });
  return vm?.name ?? null;
}

/** `created` is false when an existing task with the same idempotencyKey is returned. */
export async function create(input: TaskCreateInput): Promise<{ task: TaskView; created: boolean }> {
  const key = input.idempotencyKey ?? null;
  const existing = key === null ? null : await byKey(key);
  if (existing) return { task: existing, created: false };
  const vmName = input.vmName ?? (input.vmId ? await nameOfVm(input.vmId) : null);
  try {
    const row = await mapDbErrors(() => getDb().task.create({ data: { ...input, vmName }, select: taskSelect }));
    return { task: toView(row), created: true };
  } catch (err) {
    // A concurrent request with the same key won the insert race.
    const winner = key !== null && DbConflictError.is(err) ? await byKey(key) : null;
    if (winner) return { task: winner, created: false };
    throw err;
  }
}

async function transition(id: string, data: Prisma.TaskUpdateManyMutationInput, from = unfinished): Promise<boolean> {
  const { count } = await getDb().task.updateMany({ where: { id, ...from }, data });
  return count > 0;
}

const clampPercent = (value: number) => Math.min(100, Math.max(0, Math.round(value)));

/** The transition functions return false if the task is unknown or already finished. */
export function markRunning(id: string, message?: string | null): Promise<boolean> {
  return transition(
    id,
    { state: 'running', startedAt: new Date(), ...(message !== undefined && { message }) },
    {
      state: { in: ['queued'] },
    },
  );
}

export function progress(id: string, percent: number, message?: string | null): Promise<boolean> {
  return transition(id, { progress: clampPercent(percent), ...(message !== undefined && { message }) });
}

export function succeed(id: string, message?: string | null): Promise<boolean> {
  return transition(id, {
    state: 'succeeded',
    progress: 100,
    finishedAt: new Date(),
    ...(message !== undefined && { message }),
  });
}

export function fail(id: string, error: { code: string; message: string }): Promise<boolean> {
  return transition(id, {
    state: 'failed',
    errorCode: error.code,
    errorMessage: error.message,
    finishedAt: new Date(),
  });
}

/** Asks a running task to stop; false if it is unknown or already finished. */
export function requestCancel(id: string): Promise<boolean> {
  return transition(id, { cancelRequested: true });
}

/** Whether someone asked this task to stop (any manager may have recorded the request). */
export async function cancelRequested(id: string): Promise<boolean> {
  const row = await getDb().task.findUnique({ where: { id }, select: { cancelRequested: true } });
  return row?.cancelRequested ?? false;
}

export async function byId(id: string): Promise<TaskView | null> {
  const row = await getDb().task.findUnique({ where: { id }, select: taskSelect });
  return row && toView(row);
}

/** Newest first. */
export async function listRecent(
  filter: {
    limit?: number;
    vmId?: string;
    ownerId?: string;
    hostId?: string;
    /** A user's own tasks and those of the VMs it may see (issue 10). */
    visibleTo?: { userId: string; vms: VmVisibility };
  } = {},
): Promise<TaskView[]> {
  const v = filter.visibleTo;
  const rows = await getDb().task.findMany({
    where: {
      vmId: filter.vmId,
      ownerId: filter.ownerId,
      hostId: filter.hostId,
      ...(v && !v.vms.all ? { OR: [{ ownerId: v.userId }, { vm: vmVisibilityWhere(v.vms) }] } : {}),
    },
    select: taskSelect,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: filter.limit ?? 50,
  });
  return rows.map(toView);
}

/**
 * Queued or running, oldest first (e.g. to fail orphans after a manager restart, or a VM's busy
 * check). `managerIds`: only those run by these managers (`null` in it: by no known manager).
 */
export async function listUnfinished(
  filter: { vmId?: string; managerIds?: readonly (string | null)[] } = {},
): Promise<TaskView[]> {
  const byManager = filter.managerIds && {
    OR: [
      { managerId: { in: filter.managerIds.filter((id): id is string => id !== null) } },
      ...(filter.managerIds.includes(null) ? [{ managerId: null }] : []),
    ],
  };
  const rows = await getDb().task.findMany({
    where: { ...unfinished, vmId: filter.vmId, ...byManager },
    select: taskSelect,
    // id breaks ties in the same millisecond (SQLite happened to return insertion order, PostgreSQL need not).
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map(toView);
}

/** The newest task of these kinds for a VM, finished or not. */
export async function latestForVm(vmId: string, kinds: readonly string[]): Promise<TaskView | null> {
  const row = await getDb().task.findFirst({
    where: { vmId, kind: { in: [...kinds] } },
    select: taskSelect,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return row && toView(row);
}

/**
 * Adds what was learnt after a task ended (e.g. its host came back and showed what libvirt
 * did) to its message, without changing its state. Returns false for an unfinished task.
 */
export async function addOutcome(id: string, text: string): Promise<boolean> {
  const task = await byId(id);
  if (!task || task.state === 'queued' || task.state === 'running') return false;
  const field = task.state === 'failed' ? 'errorMessage' : 'message';
  const before = task[field];
  const { count } = await getDb().task.updateMany({
    where: { id, state: task.state },
    data: { [field]: before ? `${before} ${text}` : text },
  });
  return count > 0;
}

/** Tasks created since `since`, counted per kind and state (uses the createdAt index). */
export async function countByKindAndState(since: Date): Promise<{ kind: string; state: string; count: number }[]> {
  const groups = await getDb().task.groupBy({
    by: ['kind', 'state'],
    where: { createdAt: { gte: since } },
    _count: { _all: true },
  });
  return groups.map((g) => ({ kind: g.kind, state: g.state, count: g._count._all }));
}

/** Keeps a placement decision (JSON) with the task that placed a VM. */
export async function setPlacement(id: string, placement: string): Promise<void> {
  await getDb().task.updateMany({ where: { id }, data: { placement } });
}

/** The latest placement decision recorded for this VM (its create task's), as stored JSON. */
export async function latestPlacement(vmId: string): Promise<{ taskId: string; placement: string } | null> {
  const row = await getDb().task.findFirst({
    where: { vmId, placement: { not: null } },
    orderBy: { createdAt: 'desc' },
    select: { id: true, placement: true },
  });
  return row?.placement ? { taskId: row.id, placement: row.placement } : null;
}
