/** Who may act on a VM: admins on all, users on their own. Loads the VM once for a procedure. */
import { VireoError } from '@vireo/protocol';
import { vms } from '@vireo/db';
import type { UserView } from '../views.ts';

export type VmRecord = NonNullable<Awaited<ReturnType<typeof vms.byId>>>;

export async function loadVmForUser(vmId: string, user: Pick<UserView, 'id' | 'role'>): Promise<VmRecord> {
  const vm = await vms.byId(vmId);
  // A VM you may not see is reported as missing, so ids cannot be probed.
  if (!vm || (user.role !== 'admin' && vm.ownerId !== user.id)) {
    throw new VireoError('NOT_FOUND', 'No such VM, or you have no access to it.', { object: 'vm' });
  }
  return vm;
}

/** The ids among `vmIds` this user may see (admins all; users their own). Unknown ids pass for
 * admins: they simply never match a stats sample. */
export async function visibleVmIds(vmIds: string[], user: Pick<UserView, 'id' | 'role'>): Promise<Set<string>> {
  if (user.role === 'admin') return new Set(vmIds);
  const own = new Set((await vms.list({ ownerId: user.id })).map((vm) => vm.id));
  return new Set(vmIds.filter((id) => own.has(id)));
}
