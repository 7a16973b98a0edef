/**
 * Reserving a change against a project's quota (issue 10): the database decides atomically
 * (quotas.reserve is one conditional UPDATE); this turns a refusal into QUOTA_EXCEEDED with a
 * message that names the limit, the use and the request.
 */
import { type ProjectView, type QuotaDelta, quotas, type VmCreateInput, type VmView, vms } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { quotaMessage } from './policy.ts';

/** Reserves `delta` on the project or throws QUOTA_EXCEEDED; `force` passes the limits (approvals). */
export async function reserveQuota(
  projectId: string,
  delta: QuotaDelta,
  opts: { force?: boolean } = {},
): Promise<void> {
  const result = await quotas.reserve(projectId, delta, opts);
  if (!result.ok) throw quotaRefusal(result.project, delta);
}

/** Why a reservation was refused, readable: the project is gone, or which limit `delta` passes. */
export function quotaRefusal(project: ProjectView | null, delta: QuotaDelta): VireoError {
  if (!project) return new VireoError('NOT_FOUND', 'That project does not exist (any more).', { object: 'project' });
  return new VireoError('QUOTA_EXCEEDED', quotaMessage(project, delta), { object: 'project' });
}

/**
 * Records a new VM and charges its project in one transaction (vms.createCharged): no window in
 * which a manager's death leaves a charge without its VM. A VM outside projects is just recorded.
 */
export async function createVmRow(input: VmCreateInput, opts: { force?: boolean } = {}): Promise<VmView> {
  const { projectId } = input;
  if (!projectId) return vms.create(input);
  const created = await vms.createCharged({ ...input, projectId }, opts);
  if (!created.ok) throw quotaRefusal(created.project, quotas.vmDelta(input));
  return created.vm;
}

/** Runs `work` with `delta` reserved; gives it back if `work` throws. */
export async function withQuota<T>(
  projectId: string | null | undefined,
  delta: QuotaDelta,
  work: () => Promise<T>,
  opts: { force?: boolean } = {},
): Promise<T> {
  if (!projectId) return work();
  await reserveQuota(projectId, delta, opts);
  try {
    return await work();
  } catch (err) {
    await quotas.release(projectId, delta);
    throw err;
  }
}
