/**
 * One operation per VM at a time, across every manager: the lock is a database row keyed by the
 * VM (the primary key decides a race, whichever managers the two requests reached). A lock is
 * released when its operation ends; a dead manager's locks go with its row (cluster.ts).
 */
import { vmLocks } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { selfId } from './cluster.ts';

/** Takes the VM's lock for `what`, or throws BUSY naming the operation that holds it. */
export async function lockVm(vm: { id: string; name: string }, what: string): Promise<() => void> {
  const holder = await vmLocks.tryLock(vm.id, what, selfId());
  if (holder)
    throw new VireoError('BUSY', `VM ${vm.name} is busy with ${holder}; wait for it to finish.`, { object: 'vm' });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    vmLocks.release(vm.id, selfId()).catch((err) => console.error(`[vm ${vm.name}] could not release its lock:`, err));
  };
}

/** True while an operation (of any manager) is running on the VM. */
export function isVmLocked(vmId: string): Promise<boolean> {
  return vmLocks.isLocked(vmId);
}
