/**
 * A VM's NICs on Vireo's networks: the security group each NIC asks for (checked at create) and
 * the addresses the NICs hold now, read live from the DHCP leases of the VM's host (dnsmasq,
 * through libvirt), matched by MAC. Leases are per host: a cluster network is one libvirt network
 * (its own bridge and dnsmasq) on each host, so only the VM's host knows its NICs' addresses.
 */
import { type VmNicRow, hosts, networks, vms } from '@vireo/db';
import { VireoError, libvirtNetworkName } from '@vireo/protocol';
import type { CreateVmInput } from '../schemas/vm.ts';
import { hostAgent } from './agent-router.ts';

const LEASES_TIMEOUT_MS = 5_000;

/** Every security group the NICs name must exist: a filter libvirt lacks would fail the start. */
export async function checkNicGroups(input: CreateVmInput): Promise<void> {
  const ids = [...new Set(input.nics.flatMap((n) => (n.securityGroupId ? [n.securityGroupId] : [])))];
  for (const id of ids) {
    if (!(await networks.groupById(id))) {
      throw new VireoError('NOT_FOUND', 'That security group does not exist (any more). Choose another.', {
        object: 'securityGroup',
      });
    }
  }
}

/**
 * The hosts a VM may be placed on so that each NIC's Vireo network (libvirt names, the template's
 * NICs and the form's alike) exists there: a host network
 * only on its host, a cluster network on its cluster's hosts. Undefined: no constraint (no NIC on
 * a Vireo network; other libvirt networks are the admin's to have on every host).
 */
export async function hostsForNics(nicNetworks: string[]): Promise<Set<string> | undefined> {
  if (nicNetworks.length === 0) return undefined;
  const managed = await networks.list();
  const all = await hosts.list();
  let allowed: Set<string> | undefined;
  for (const network of new Set(nicNetworks)) {
    const matches = managed.filter((n) => libvirtNetworkName(n.name) === network);
    if (matches.length === 0) continue;
    const here = new Set(
      all
        .filter((h) => matches.some((n) => (n.scope === 'host' ? n.hostId === h.id : n.clusterId === h.clusterId)))
        .map((h) => h.id),
    );
    allowed = allowed ? new Set([...allowed].filter((id) => here.has(id))) : here;
  }
  return allowed;
}

export interface NicNetworkFacts {
  /** The Vireo network the NIC is on (null: a libvirt network Vireo does not manage). */
  networkId: string | null;
  /** Its Vireo name, as the Networks page shows it (null when not managed). */
  networkName: string | null;
  securityGroupName: string | null;
  addresses: string[];
}

/**
 * For each NIC (by position): its Vireo network, group name and current addresses. `source` is
 * 'leases' when the host answered for every managed network, 'none' when no NIC is on one, and
 * 'unavailable' when the host could not be asked (offline, or no answer in time).
 */
export async function nicNetworkFacts(
  vmId: string,
  nics: VmNicRow[],
): Promise<{ facts: Map<number, NicNetworkFacts>; source: 'leases' | 'none' | 'unavailable' }> {
  const facts = new Map<number, NicNetworkFacts>();
  const vm = await vms.byId(vmId);
  const host = vm?.hostId ? await hosts.byId(vm.hostId) : null;
  const managed = host ? await networks.forHost(host.id, host.clusterId) : [];
  const byLibvirtName = new Map(managed.map((n) => [libvirtNetworkName(n.name), n]));
  const groups = new Map((await networks.listGroups()).map((g) => [g.id, g.name]));
  for (const n of nics) {
    facts.set(n.position, {
      networkId: byLibvirtName.get(n.network)?.id ?? null,
      networkName: byLibvirtName.get(n.network)?.name ?? null,
      securityGroupName: n.securityGroupId ? (groups.get(n.securityGroupId) ?? null) : null,
      addresses: [],
    });
  }
  // Bridged networks get addresses from a DHCP server outside libvirt: no leases to read.
  const asked = [...new Set(nics.map((n) => n.network))].filter((name) => {
    const mode = byLibvirtName.get(name)?.mode;
    return mode === 'nat' || mode === 'isolated';
  });
  if (!host || asked.length === 0) return { facts, source: 'none' };
  if (host.status !== 'online') return { facts, source: 'unavailable' };
  try {
    const agent = await hostAgent(host.id, host.name);
    const now = Date.now() / 1000;
    for (const name of asked) {
      const { leases } = await agent
        .request('network.leases', { name }, { timeoutMs: LEASES_TIMEOUT_MS })
        .catch((err) => (VireoError.is(err, 'NOT_FOUND', 'network') ? { leases: [] } : Promise.reject(err)));
      for (const n of nics) {
        if (n.network !== name) continue;
        const mine = leases.filter((l) => l.mac.toLowerCase() === n.mac && l.expiresAt > now);
        const f = facts.get(n.position);
        if (f) f.addresses = mine.map((l) => `${l.ip}/${l.prefix}`);
      }
    }
  } catch {
    return { facts, source: 'unavailable' };
  }
  return { facts, source: 'leases' };
}
