/** Loads a VM for a procedure (the permission rule already checked it) or for a ticket's user. */
import { VireoError } from '@vireo/protocol';
import { vms } from '@vireo/db';
import type { UserView } from '../views.ts';
import { assertCan } from './permissions/can.ts';
import type { Action } from './permissions/policy.ts';
import { vmVisibility } from './permissions/visibility.ts';

export type VmRecord = NonNullable<Awaited<ReturnType<typeof vms.byId>>>;

export async function loadVm(vmId: string): Promise<VmRecord> {
  const vm = await vms.byId(vmId);
  if (!vm) throw new VireoError('NOT_FOUND', 'No such VM, or you have no access to it.', { object: 'vm' });
  return vm;
}

/** The VM if the user may do `action` on it; a VM it may not see is reported missing. */
export async function loadVmForUser(
  vmId: string,
  user: Pick<UserView, 'id' | 'role'>,
  action: Action = 'operate',
): Promise<VmRecord> {
  await assertCan(user, action, { kind: 'vm', id: vmId });
  return loadVm(vmId);
}

/** The ids among `vmIds` this user may see, by one filtered query. */
export async function visibleVmIds(vmIds: string[], user: Pick<UserView, 'id' | 'role'>): Promise<Set<string>> {
  if (user.role === 'admin') return new Set(vmIds);
  return vms.visibleIds(vmIds, await vmVisibility(user));
}
