// VM requests (issue 10): a create asked for instead of made, waiting for an approver.
import { getDb } from './client.ts';

export const VM_REQUEST_STATES = ['pending', 'approved', 'rejected', 'cancelled'] as const;
export type VmRequestState = (typeof VM_REQUEST_STATES)[number];

export type VmRequestView = {
  id: string;
  requesterId: string;
  requesterName: string;
  projectId: string;
  projectName: string;
  /** The create input as JSON (vm.create's, validated when submitted and again when approved). */
  input: string;
  reason: string;
  state: VmRequestState;
  approverId: string | null;
  approverName: string | null;
  note: string;
  vmId: string | null;
  createdAt: Date;
  decidedAt: Date | null;
};

const select = {
  id: true,
  requesterId: true,
  requester: { select: { username: true } },
  projectId: true,
  project: { select: { name: true } },
  input: true,
  reason: true,
  state: true,
  approverId: true,
  approver: { select: { username: true } },
  note: true,
  vmId: true,
  createdAt: true,
  decidedAt: true,
} as const;

type Row = {
  requester: { username: string };
  project: { name: string };
  approver: { username: string } | null;
  state: string;
} & Omit<VmRequestView, 'requesterName' | 'projectName' | 'approverName' | 'state'>;

function toView({ requester, project, approver, ...row }: Row): VmRequestView {
  return {
    ...row,
    state: row.state as VmRequestState,
    requesterName: requester.username,
    projectName: project.name,
    approverName: approver?.username ?? null,
  };
}

export async function create(input: {
  requesterId: string;
  projectId: string;
  input: string;
  reason: string;
}): Promise<VmRequestView> {
  return toView(await getDb().vmRequest.create({ data: input, select }));
}

export async function byId(id: string): Promise<VmRequestView | null> {
  const row = await getDb().vmRequest.findUnique({ where: { id }, select });
  return row ? toView(row) : null;
}

/** Newest first; filtered by requester, by projects (an approver's) and/or state. */
export async function list(
  filter: { requesterId?: string; projectIds?: string[]; state?: VmRequestState; limit?: number } = {},
): Promise<VmRequestView[]> {
  const rows = await getDb().vmRequest.findMany({
    where: {
      requesterId: filter.requesterId,
      projectId: filter.projectIds ? { in: filter.projectIds } : undefined,
      state: filter.state,
    },
    select,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: filter.limit ?? 200,
  });
  return rows.map(toView);
}

/**
 * Moves a pending request to its decision; false when it was no longer pending (another
 * approver, or the requester's cancel, came first): one conditional update decides.
 */
export async function decide(
  id: string,
  decision: { state: Exclude<VmRequestState, 'pending'>; approverId?: string; note?: string },
): Promise<boolean> {
  const { count } = await getDb().vmRequest.updateMany({
    where: { id, state: 'pending' },
    data: { state: decision.state, approverId: decision.approverId, note: decision.note ?? '', decidedAt: new Date() },
  });
  return count > 0;
}

/** Records the VM an approved request made. */
export async function setVm(id: string, vmId: string): Promise<void> {
  await getDb().vmRequest.updateMany({ where: { id }, data: { vmId } });
}

/** Back to pending: the approval's create failed before anything was made. */
export async function reopen(id: string, note: string): Promise<void> {
  await getDb().vmRequest.updateMany({
    where: { id, state: 'approved', vmId: null },
    data: { state: 'pending', approverId: null, note, decidedAt: null },
  });
}
