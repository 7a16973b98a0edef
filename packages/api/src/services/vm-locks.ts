/**
 * One operation per VM at a time, checked and taken in one synchronous step (no await between),
 * so two requests racing cannot both pass. In memory: one manager process owns its tasks, and
 * tasks a previous process left unfinished are failed at start-up. (Several managers will need
 * these locks where every manager sees them: the scale issue.)
 */
import { VireoError } from '@vireo/protocol';

const held = new Map<string, string>();

/** Takes the VM's lock for `what`, or throws BUSY naming the operation that holds it. */
export function lockVm(vm: { id: string; name: string }, what: string): () => void {
  const holder = held.get(vm.id);
  if (holder)
    throw new VireoError('BUSY', `VM ${vm.name} is busy with ${holder}; wait for it to finish.`, { object: 'vm' });
  held.set(vm.id, what);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(vm.id);
  };
}

/** True while an operation of this manager is running on the VM. */
export function isVmLocked(vmId: string): boolean {
  return held.has(vmId);
}
