/**
 * A host entering or in maintenance takes no VM (issue 8): nothing may start a VM there or put a
 * new one there. Placement already keeps off it (its `maintenance` filter); this is the guard
 * for the operations that name the host themselves: start (and restoring a saved VM, which is a
 * start), revert to a running snapshot, clone (made on the source's host).
 */
import { hostMaintenance } from '@vireo/db';
import { VireoError } from '@vireo/protocol';

/** The refusal for `what` on the host, or null when the host is not in maintenance. */
export function maintenanceRefusal(hostName: string, state: string, what: string): VireoError | null {
  if (state === 'none') return null;
  const why =
    state === 'entering'
      ? `host ${hostName} is entering maintenance: its VMs are being moved away`
      : `host ${hostName} is in maintenance`;
  return new VireoError(
    'INVALID_STATE',
    `Cannot ${what}: ${why}. Migrate the VM to another host, or take ${hostName} out of maintenance first.`,
    { object: 'host' },
  );
}

/** @throws VireoError INVALID_STATE when the host is entering or in maintenance. */
export async function refuseIfInMaintenance(hostId: string | null, what: string): Promise<void> {
  if (!hostId) return;
  const host = await hostMaintenance.of(hostId);
  const refusal = host && maintenanceRefusal(host.hostName, host.state, what);
  if (refusal) throw refusal;
}
