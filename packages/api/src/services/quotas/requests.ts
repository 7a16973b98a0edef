/**
 * VM requests (issue 10): a create over its project's quota, or from a restricted template, is
 * submitted instead of made. Approvers (admins, and 'owner's of the project: 'manage' on it)
 * see a queue with each request's cost and the project's usage; an approval re-checks the input
 * and creates the VM through the normal create path (owned by the requester; the quota forced
 * when still over it, and said so), a rejection carries a note. The requester gets an event.
 * Passing the quota is an administrator's call ('manage' on the system), as changing the quota
 * is: a project's owners approve what fits it (a restricted template), and never their own
 * request (administrators may: they could create the VM themselves anyway).
 */
import { checkCreateChoicesOffered } from '../permissions/offered.ts';
import {
  type ProjectView,
  projects,
  type QuotaDelta,
  templates,
  users,
  type VmRequestState,
  type VmRequestView,
  vmRequests,
  vms,
} from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { type CreateVmInput, createVmInput } from '../../schemas/vm.ts';
import type { UserView } from '../../views.ts';
import { assertCan, can } from '../permissions/can.ts';
import { recordEvent } from '../views.ts';
import { projectsWhere } from '../permissions/visibility.ts';
import { checkSource } from '../vm-hardware.ts';
import { checkTemplateOffered, createVm } from '../vm-service.ts';
import { exceededKinds, quotaSummary, vmCost } from './policy.ts';
import { templateDiskBytesOf } from './template-disk.ts';

export type VmRequestItem = Omit<VmRequestView, 'input' | 'createdAt' | 'decidedAt'> & {
  createdAt: string;
  decidedAt: string | null;
  vmName: string;
  templateId: string;
  cost: Required<QuotaDelta>;
  /** No host could read the template's disk size now: `cost` leaves it out (approval reads it). */
  templateDiskUnknown: boolean;
  project: Pick<ProjectView, 'quota' | 'used'> | null;
  /** Would it pass the quota now (for the approver)? */
  overQuota: boolean;
  /** Why the caller may not approve it (the queue says so instead of offering the button); null: it may. */
  approveBlocked: string | null;
};

/** How long a request list waits for a host to read a template's disk size (it shows without it). */
const LIST_READ_MS = 5_000;

function notFound(): VireoError {
  return new VireoError('NOT_FOUND', 'No such request, or it is not yours to see.', { object: 'vm' });
}

/** What the caller is: an administrator (manage on the system) may approve past quotas and its own requests. */
type Approver = { id: string; admin: boolean };

async function approverOf(user: UserView): Promise<Approver> {
  return { id: user.id, admin: await can(user, 'manage', { kind: 'system', id: '' }) };
}

/** Why `approver` may not approve request `r` (over the quota now or not): null when it may. */
export function approvalBlock(
  r: Pick<VmRequestView, 'requesterId'>,
  approver: Approver,
  overQuota: boolean,
): string | null {
  if (approver.admin) return null;
  if (r.requesterId === approver.id) return 'You asked for this VM: another approver of the project decides it.';
  if (overQuota) {
    return 'It would pass the project’s quota: only an administrator may approve it (or raise the quota).';
  }
  return null;
}

async function toItem(r: VmRequestView, project: ProjectView | null, approver: Approver): Promise<VmRequestItem> {
  const { input: json, ...rest } = r;
  const input = createVmInput.parse(JSON.parse(json));
  // A list must not fail, or wait long, while no host can read the template's bases: the cost
  // then shows without them, and says so (approving reads them again, and reserves their true size).
  const templateBytes = await templateDiskBytesOf(input, LIST_READ_MS).catch(() => null);
  const cost = vmCost(input, templateBytes ?? 0);
  const overQuota = project ? exceededKinds(project, cost).length > 0 : false;
  return {
    ...rest,
    createdAt: r.createdAt.toISOString(),
    decidedAt: r.decidedAt?.toISOString() ?? null,
    vmName: input.name,
    templateId: input.templateId,
    cost,
    templateDiskUnknown: templateBytes === null,
    project: project && { quota: project.quota, used: project.used },
    overQuota,
    approveBlocked: r.state === 'pending' ? approvalBlock(r, approver, overQuota) : null,
  };
}

/** Requests as the queue shows them, with their projects' usage: one read of the projects. */
async function toItems(rows: readonly VmRequestView[], user: UserView): Promise<VmRequestItem[]> {
  const ids = [...new Set(rows.map((r) => r.projectId))];
  const [list, approver] = await Promise.all([ids.length > 0 ? projects.list({ ids }) : [], approverOf(user)]);
  const byId = new Map(list.map((p) => [p.id, p]));
  return Promise.all(rows.map((r) => toItem(r, byId.get(r.projectId) ?? null, approver)));
}

const oneItem = async (r: VmRequestView, user: UserView) =>
  toItem(r, await projects.byId(r.projectId), await approverOf(user));

/** Why this create needs an approver: [] when it can be made directly. */
async function reasonsFor(input: CreateVmInput & { projectId: string }, user: UserView): Promise<string[]> {
  const project = await projects.byId(input.projectId);
  if (!project) throw new VireoError('NOT_FOUND', 'That project does not exist (any more).', { object: 'project' });
  const reasons: string[] = [];
  if (exceededKinds(project, vmCost(input, await templateDiskBytesOf(input))).length > 0) reasons.push('quota');
  const manages = user.role === 'admin' || (await can(user, 'manage', { kind: 'project', id: project.id }));
  if (!manages && (await templates.isRestricted(input.templateId))) reasons.push('restricted');
  return reasons;
}

export async function submitRequest(input: CreateVmInput, user: UserView): Promise<VmRequestItem> {
  const { projectId } = input;
  if (!projectId) {
    throw new VireoError('BAD_INPUT', 'A request is for a VM in a project: choose the project.', { object: 'project' });
  }
  await assertCan(user, 'create', { kind: 'project', id: projectId });
  if (!(await templates.byId(input.templateId))) {
    throw new VireoError('NOT_FOUND', 'That template does not exist (any more). Choose another.', {
      object: 'template',
    });
  }
  // As a direct create would: a template the member may not see is missing, one not published
  // to the project is refused (so a request cannot probe templates or ask for any of them).
  await checkTemplateOffered(input, user);
  await checkCreateChoicesOffered(user, input);
  // What the approval's create would refuse, refused now (a request that can never be approved
  // helps no one): existing volumes are the administrators', and a VM name must be free.
  for (const d of input.disks) checkSource(d, user);
  if (await vms.byName(input.name)) {
    throw new VireoError('CONFLICT', `A VM named "${input.name}" already exists. Choose another name.`, {
      object: 'vm',
    });
  }
  const reasons = await reasonsFor({ ...input, projectId }, user);
  if (reasons.length === 0) {
    throw new VireoError(
      'INVALID_STATE',
      'This VM fits the quota and its template is not restricted: create it directly.',
      {
        object: 'vm',
      },
    );
  }
  const created = await vmRequests.create({
    requesterId: user.id,
    projectId,
    input: JSON.stringify(input),
    reason: reasons.join(','),
  });
  return oneItem(created, user);
}

/** The caller's own requests, newest first. */
export async function myRequests(user: UserView): Promise<VmRequestItem[]> {
  return toItems(await vmRequests.list({ requesterId: user.id, limit: 100 }), user);
}

/** The projects whose requests this user decides (those it manages, as loadForApprover checks); null: all. */
async function approvableProjects(user: UserView): Promise<string[] | null> {
  const managed = await projectsWhere(user, 'manage');
  return 'all' in managed ? null : managed.ids;
}

/** The approval queue: requests of the projects this user approves (pending first by default). */
export async function requestQueue(user: UserView, state: VmRequestState | undefined): Promise<VmRequestItem[]> {
  const projectIds = await approvableProjects(user);
  if (projectIds && projectIds.length === 0) return [];
  const rows = await vmRequests.list({ projectIds: projectIds ?? undefined, state, limit: 200 });
  return toItems(rows, user);
}

async function loadForApprover(id: string, user: UserView): Promise<VmRequestView> {
  const r = await vmRequests.byId(id);
  if (!r) throw notFound();
  if (!(await can(user, 'manage', { kind: 'project', id: r.projectId }))) {
    if (r.requesterId === user.id) {
      throw new VireoError('FORBIDDEN', 'Only an approver of the project can decide your request.', {
        object: 'project',
      });
    }
    throw notFound();
  }
  if (r.state !== 'pending') {
    throw new VireoError('INVALID_STATE', `This request is already ${r.state}.`, { object: 'vm' });
  }
  return r;
}

/** The requester's notification: an event of theirs, live on their pages. */
async function notify(r: VmRequestView, kind: string, message: string, vmId?: string): Promise<void> {
  await recordEvent({ severity: 'info', kind, message, userId: r.requesterId, ...(vmId ? { vmId } : {}) });
}

/**
 * Approves: the input is validated again, the VM is created as the requester's through the
 * normal create path; the quota is reserved as usual, or forced when the project is over it now
 * (the note and the event say so). A create that fails at once puts the request back to pending.
 */
export async function approveRequest(
  id: string,
  user: UserView,
  note: string,
): Promise<{ taskId: string; vmId: string; forced: boolean }> {
  const r = await loadForApprover(id, user);
  const parsed = createVmInput.safeParse(JSON.parse(r.input));
  if (!parsed.success) {
    throw new VireoError(
      'BAD_INPUT',
      `This request no longer validates (${parsed.error.issues[0]?.message}); reject it.`,
      {
        object: 'vm',
      },
    );
  }
  const input = parsed.data;
  const requester = await users.byId(r.requesterId);
  if (!requester) throw notFound();
  // Re-checked now: the requester may have left the project since asking.
  if (!(await can(requester, 'create', { kind: 'project', id: r.projectId }))) {
    throw new VireoError(
      'INVALID_STATE',
      `${requester.username} may no longer create VMs in project ${r.projectName}; reject the request.`,
      { object: 'project' },
    );
  }
  const project = await projects.byId(r.projectId);
  if (!project) throw new VireoError('NOT_FOUND', 'The project is gone; reject the request.', { object: 'project' });
  const cost = vmCost(input, await templateDiskBytesOf(input));
  const over = exceededKinds(project, cost).length > 0;
  // Checked before anything is recorded: a refused approval leaves the request as it was.
  const blocked = approvalBlock(r, await approverOf(user), over);
  if (blocked) {
    const why = over && r.requesterId !== user.id ? `${blocked} ${quotaSummary(project, cost)}.` : blocked;
    throw new VireoError('FORBIDDEN', why, { object: 'project' });
  }
  const recorded = over ? `${note ? `${note} ` : ''}(approved over quota: ${quotaSummary(project, cost)})` : note;
  if (!(await vmRequests.decide(id, { state: 'approved', approverId: user.id, note: recorded }))) {
    throw new VireoError('INVALID_STATE', 'This request was decided or cancelled just now.', { object: 'vm' });
  }
  let made: { taskId: string; vmId: string };
  try {
    made = await createVm({ ...input, projectId: r.projectId }, requester, { force: over });
  } catch (err) {
    await vmRequests.reopen(
      id,
      `Approval by ${user.username} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    throw err;
  }
  await vmRequests.setVm(id, made.vmId);
  await notify(
    r,
    'vmRequest.approved',
    `${user.username} approved your request for VM ${input.name} in project ${r.projectName}${over ? ' (over its quota)' : ''}${note ? `: ${note}` : '.'}`,
    made.vmId,
  );
  return { ...made, forced: over };
}

export async function rejectRequest(id: string, user: UserView, note: string): Promise<VmRequestItem> {
  const r = await loadForApprover(id, user);
  if (!(await vmRequests.decide(id, { state: 'rejected', approverId: user.id, note }))) {
    throw new VireoError('INVALID_STATE', 'This request was decided or cancelled just now.', { object: 'vm' });
  }
  const vmName = (JSON.parse(r.input) as { name?: string }).name ?? '';
  await notify(
    r,
    'vmRequest.rejected',
    `${user.username} rejected your request for VM ${vmName} in project ${r.projectName}: ${note}`,
  );
  const after = await vmRequests.byId(id);
  if (!after) throw notFound();
  return oneItem(after, user);
}

export async function cancelRequest(id: string, user: UserView): Promise<void> {
  const r = await vmRequests.byId(id);
  if (!r || r.requesterId !== user.id) throw notFound();
  if (!(await vmRequests.decide(id, { state: 'cancelled' }))) {
    throw new VireoError('INVALID_STATE', `This request is already ${r.state}.`, { object: 'vm' });
  }
}
