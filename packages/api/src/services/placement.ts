/**
 * Chooses a host for a new VM: among connected hosts, the one with the most memory left after
 * the VMs defined there and a reserve for the host. Counting every defined VM, not only the
 * running ones, means a VM placed here can always be started here.
 */
import { VireoError } from '@vireo/protocol';
import { hosts, vms } from '@vireo/db';
import { managerEnv } from '../env.ts';
import { isHostConnected } from './agent-registry.ts';

const MIB = 1024 * 1024;

export async function pickHost(memoryMiB: number): Promise<{ id: string; name: string }> {
  const online = (await hosts.list()).filter((h) => isHostConnected(h.id));
  if (online.length === 0) {
    throw new VireoError('HOST_OFFLINE', 'No host is online. Start an agent on a host (see the README) and try again.');
  }
  const committed = new Map((await vms.countByHost()).map((load) => [load.hostId, load.memoryMiB]));
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
