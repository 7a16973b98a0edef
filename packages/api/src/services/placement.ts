/**
 * Chooses a host for a new VM: among connected hosts, the one with the most memory left after
 * the domains defined there and a reserve for the host. Counting every defined domain, not only
 * the running ones, means a VM placed here can always be started here. The figures are libvirt's
 * as the host last reported them (each domain's maximum memory, so `virsh setmaxmem` counts, and
 * domains Vireo does not manage count too), plus Vireo VMs of the host not defined there yet.
 */
import { VireoError } from '@vireo/protocol';
import { hostDomains, hosts, vms } from '@vireo/db';
import { managerEnv } from '../env.ts';

const MIB = 1024 * 1024;

/** `allowed`: only these hosts may take the VM (e.g. where its NICs' networks exist). */
export async function pickHost(memoryMiB: number, allowed?: Set<string>): Promise<{ id: string; name: string }> {
  // Online by the row: the host may be held by another manager (requests are routed there).
  const online = (await hosts.list()).filter((h) => h.status === 'online' && (!allowed || allowed.has(h.id)));
  if (online.length === 0) {
    throw new VireoError(
      'HOST_OFFLINE',
      allowed
        ? 'No host that has all of this VM’s networks is online. Choose other networks or bring such a host online.'
        : 'No host is online. Start an agent on a host (see the README) and try again.',
    );
  }
  const committed = await committedMiB(online.map((h) => h.id));
  const reserve = managerEnv().VIREO_HOST_RESERVED_MIB;
  const room = online
    .map((h) => ({ host: h, freeMiB: Math.floor(h.memoryBytes / MIB) - reserve - (committed.get(h.id) ?? 0) }))
    .sort((a, b) => b.freeMiB - a.freeMiB);
  const best = room[0];
  if (!best || best.freeMiB < memoryMiB) {
    const most = best ? ` The most any host has left is ${Math.max(0, best.freeMiB)} MiB (${best.host.name}).` : '';
    throw new VireoError(
      'NO_HOST_CAPACITY',
      `No online host has ${memoryMiB} MiB of memory free for this VM.${most} Lower the memory or stop other VMs.`,
    );
  }
  return { id: best.host.id, name: best.host.name };
}

/** Memory promised on each host: its domains' maximum, and Vireo VMs it does not have (yet). */
async function committedMiB(hostIds: string[]): Promise<Map<string, number>> {
  // Narrow (no names, owners or templates): with 10,000 VMs the full list made every create slow.
  const rows = await vms.allocations();
  const reported = await hostDomains.onHosts(hostIds);
  const out = new Map<string, number>();
  for (const hostId of hostIds) {
    const domains = reported.filter((d) => d.hostId === hostId);
    const defined = new Set(domains.map((d) => d.uuid));
    let sum = domains.reduce((n, d) => n + Math.max(d.memoryMiB, d.maxMemoryMiB ?? 0), 0);
    for (const vm of rows) if (vm.hostId === hostId && !defined.has(vm.uuid)) sum += vm.memoryMiB;
    out.set(hostId, sum);
  }
  return out;
}
