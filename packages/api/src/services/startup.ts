import { hosts, vms } from '@vireo/db';
import { reconcileTasks } from './tasks.ts';

/**
 * Start-up: no agent is connected yet, so every host is offline until it says otherwise; tasks
 * the last manager left running are failed; VMs caught mid-create/delete become "unknown" until
 * their host's full state settles them.
 */
export async function reconcileOnStart(): Promise<{ tasksFailed: number }> {
  await hosts.markAllOffline();
  await vms.markInterrupted();
  return { tasksFailed: await reconcileTasks() };
}
