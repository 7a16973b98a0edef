/**
 * Reserving a change against a project's quota (issue 10): the database decides atomically
 * (quotas.reserve is one conditional UPDATE); this turns a refusal into QUOTA_EXCEEDED with a
 * message that names the limit, the use and the request.
 */
import { type QuotaDelta, quotas } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { quotaMessage } from './policy.ts';

/** Reserves `delta` on the project or throws QUOTA_EXCEEDED; `force` passes the limits (approvals). */
export async function reserveQuota(
  projectId: string,
  delta: QuotaDelta,
  opts: { force?: boolean } = {},
): Promise<void> {
  const result = await quotas.reserve(projectId, delta, opts);
  if (result.ok) return;
  if (!result.project)
    throw new VireoError('NOT_FOUND', 'That project does not exist (any more).', { object: 'project' });
  throw new VireoError('QUOTA_EXCEEDED', quotaMessage(result.project, delta), { object: 'project' });
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
