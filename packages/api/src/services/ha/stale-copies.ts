/**
 * A host that HA fenced keeps, when it is powered on again, libvirt's definitions of the VMs it
 * ran then: shut off, while HA runs those VMs on other hosts from the same disks. Left alone they
 * are conflicts that block deleting the VM ("Another host has VM … defined"), and an admin
 * starting one by hand would meet the lock manager at best.
 *
 * So when a host reports a shut-off (or crashed) domain of a VM recorded on another host, and
 * that VM's latest HA restart moved it away from this very host, its agent removes that
 * definition (`ha.forget`: files stay, they are the running copy's). Anything else a host
 * reports of a VM recorded elsewhere stays a conflict for an admin (vm-reconcile.ts).
 */
import type { DomainInfo } from '@vireo/protocol';
import { events, hostDomains } from '@vireo/db';
import { hostAgent } from '../agent-router.ts';

type HostRef = { id: string; name: string };
type VmRef = { id: string; uuid: string; name: string; hostId: string | null; hostName?: string | null };

/** Copies being removed now, by `${vmId}/${hostId}`: a host's events and full state can report one twice. */
const forgetting = new Set<string>();

/** True when the VM's most recent HA restart moved it away from this host. */
async function restartedAwayFrom(vmId: string, hostId: string): Promise<boolean> {
  const recent = await events.listRecent({ vmId, limit: 50 });
  // Restart events carry the failed host's id (executor.ts); a later adoption or migration
  // would name another host or come after, so only the latest restart counts.
  const last = recent.find((e) => e.kind === 'ha.restarted');
  return last?.hostId === hostId;
}

/**
 * Called for a domain a host reports of a VM recorded elsewhere. True when it is such a stale
 * copy: its removal then runs in the background (the report's handling must not wait for a
 * request to the same agent), and the caller records no conflict.
 */
export async function forgetStaleHaCopy(host: HostRef, vm: VmRef, domain: DomainInfo): Promise<boolean> {
  if (domain.state !== 'shutoff' && domain.state !== 'crashed') return false;
  if (!vm.hostId || vm.hostId === host.id) return false;
  if (!(await restartedAwayFrom(vm.id, host.id))) return false;
  removeInBackground(host, vm);
  return true;
}

/**
 * After an HA restart elsewhere: the host it was restarted from, if it is still connected (it
 * lost only its storage and stopped the VM itself), still has the shut-off definition. Its agent
 * removes it now rather than at its next reconnect.
 */
export async function forgetLeftBehind(from: HostRef, vm: VmRef): Promise<void> {
  if ((await hostDomains.hostsWith(vm.uuid)).includes(from.id)) removeInBackground(from, vm);
}

function removeInBackground(host: HostRef, vm: VmRef): void {
  const key = `${vm.id}/${host.id}`;
  if (forgetting.has(key)) return;
  forgetting.add(key);
  void (async () => {
    const agent = await hostAgent(host.id, host.name);
    const { removed } = await agent.request('ha.forget', { uuid: vm.uuid });
    if (!removed) return;
    await events.add({
      severity: 'info',
      kind: 'ha.stale-removed',
      message:
        `Host ${host.name} still had VM ${vm.name} defined (shut off) from before HA restarted it on ` +
        `${vm.hostName ?? 'another host'}: that stale definition was removed (its disks stay).`,
      vmId: vm.id,
      hostId: host.id,
    });
  })()
    .catch((err) => console.error(`[ha] could not remove the stale definition of VM ${vm.name} on ${host.name}:`, err))
    .finally(() => forgetting.delete(key));
}
