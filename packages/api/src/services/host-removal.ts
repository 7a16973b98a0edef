/**
 * The two ways to remove a host that still has VMs (issue 8): evacuate it first (maintenance
 * moves its VMs away, then the empty host is removed), or force (host-service.ts `removeHost`,
 * offline hosts only: the VMs' records are orphaned, nothing on the machine is touched).
 */
import { hostRemoval, hosts, tasks } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { enterMaintenance } from './host-maintenance.ts';
import { FORCE_REMOVAL_EFFECT, removeHost } from './host-service.ts';
import { startTask } from './tasks.ts';

export const EVACUATE_REMOVE_TASK_KIND = 'host.evacuate-remove';

/** What removing the host would do, for its confirmation dialog. */
export async function removalPlan(hostId: string) {
  const host = await hosts.byId(hostId);
  if (!host) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  const online = host.status === 'online';
  return {
    vms: await hostRemoval.vmsOn(hostId),
    online,
    /** Online with VMs: evacuate first. Offline with VMs: force (or bring it back and evacuate). */
    canForce: !online,
    forceEffect: FORCE_REMOVAL_EFFECT,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Maintenance (every VM moved away), then the removal of the empty host; one task. */
export async function evacuateAndRemove(hostId: string, user: UserView): Promise<{ taskId: string }> {
  const host = await hosts.byId(hostId);
  if (!host) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  if (host.status !== 'online') {
    throw new VireoError(
      'HOST_OFFLINE',
      `Host ${host.name} is offline: its VMs cannot be moved; remove it with force.`,
      {
        object: 'host',
      },
    );
  }
  const taskId = await startTask({ kind: EVACUATE_REMOVE_TASK_KIND, hostId, ownerId: user.id }, async (progress) => {
    progress(0, `Evacuating ${host.name} (maintenance)`);
    const entered = await enterMaintenance(hostId, {}, user);
    if (entered.taskId) {
      for (;;) {
        const t = await tasks.byId(entered.taskId);
        if (!t || t.state === 'failed') {
          throw new VireoError('INVALID_STATE', `Evacuating ${host.name} failed: ${t?.errorMessage ?? 'task gone'}`, {
            object: 'host',
          });
        }
        if (t.state === 'succeeded') break;
        progress(Math.min(90, t.progress), t.message ?? 'Evacuating');
        await sleep(1000);
      }
    }
    const left = await hostRemoval.vmsOn(hostId);
    if (left.length) {
      throw new VireoError(
        'CONFLICT',
        `${host.name} still has ${left.map((v) => v.name).join(', ')} after maintenance: the host was kept.`,
        { object: 'host' },
      );
    }
    await removeHost(hostId, user);
    return `Evacuated and removed host ${host.name}.`;
  });
  return { taskId };
}
