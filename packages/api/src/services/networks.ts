/**
 * Networks: the rows are the truth, each host's libvirt is made to match them through its agent.
 * A cluster network is ensured on every online host of the cluster at create, and on a host when
 * it comes online (reapplyToHost); a host network on its one host. Per-host state is read live.
 */
import { createHash } from 'node:crypto';
import {
  clusters,
  DbConflictError,
  type HostView,
  hosts,
  type InfraScope,
  type NetworkRecord,
  networks,
} from '@vireo/db';
import {
  type DhcpLease,
  libvirtNetworkName,
  type NetworkSpec,
  type NetworkState,
  securityGroupFilterName,
  VireoError,
  type VlanSpec,
  bridgeNameSchema,
  toErrorPayload,
  vlanInterfaceNames,
  vlanTagSchema,
} from '@vireo/protocol';
import { hostAgent } from './agent-router.ts';
import type { PermissionUser } from './permissions/can.ts';
import { infraVisibility, networkVisibility } from './permissions/visibility.ts';
import { toRules } from './security-groups.ts';
import { checkNetworkRange, checkStaticAddress, formatCidr, gateway, parseCidr } from './network-ipam.ts';

const AGENT_TIMEOUT_MS = 30_000;

export interface NetworkCreateInput {
  name: string;
  clusterId: string;
  scope: 'cluster' | 'host';
  hostId?: string | undefined;
  mode: 'nat' | 'isolated' | 'bridged';
  /** bridged only: the existing host bridge; with a VLAN, the parent device (NIC or bridge). */
  bridge?: string | undefined;
  /** bridged only: 802.1Q tag; the agents make the sub-interface and bridge (host-vlan.ts). */
  vlan?: number | undefined;
  cidr?: string | undefined;
  dhcpStart?: string | undefined;
  dhcpEnd?: string | undefined;
}

/** A host's view of one network: live from libvirt, or why not. */
export type NetworkHostState =
  | { hostId: string; hostName: string; status: 'ok'; active: boolean; autostart: boolean; bridge: string }
  | { hostId: string; hostName: string; status: 'missing' | 'offline' | 'error'; message?: string };

/** Each host's NAT/isolated bridge: unique per host (names are unique per cluster), ≤ 15 bytes. */
function bridgeName(clusterId: string, name: string): string {
  return `vb${createHash('sha256').update(`${clusterId}/${name}`).digest('hex').slice(0, 10)}`;
}

/** A tagged bridged network: the row's `bridge` is the parent device the VLAN rides on. */
export function networkVlan(n: Pick<NetworkRecord, 'mode' | 'bridge' | 'vlan'>): VlanSpec | undefined {
  return n.mode === 'bridged' && n.vlan !== null ? { parent: n.bridge, tag: n.vlan } : undefined;
}

export function networkSpec(n: NetworkRecord): NetworkSpec {
  const name = libvirtNetworkName(n.name);
  const vlan = networkVlan(n);
  if (vlan) return { name, mode: 'bridged', bridge: vlanInterfaceNames(vlan).bridge, vlan };
  if (n.mode === 'bridged' || !n.cidr) return { name, mode: 'bridged', bridge: n.bridge };
  const c = parseCidr(n.cidr);
  return {
    name,
    mode: n.mode,
    bridge: n.bridge,
    ipv4: {
      address: gateway(c),
      prefix: c.prefix,
      ...(n.dhcpStart && n.dhcpEnd ? { dhcp: { start: n.dhcpStart, end: n.dhcpEnd } } : {}),
      hosts: n.staticLeases.map((l) => ({ mac: l.mac, ip: l.ip, ...(l.hostname ? { hostname: l.hostname } : {}) })),
    },
  };
}

async function targetHosts(n: Pick<NetworkRecord, 'scope' | 'hostId' | 'clusterId'>): Promise<HostView[]> {
  const all = await hosts.list({ clusterId: n.clusterId });
  return n.scope === 'host' ? all.filter((h) => h.id === n.hostId) : all;
}

async function mustNetwork(id: string): Promise<NetworkRecord> {
  const n = await networks.byId(id);
  if (!n) throw new VireoError('NOT_FOUND', 'That network does not exist (any more).', { object: 'network' });
  return n;
}

const offline = (err: unknown) => VireoError.is(err, 'HOST_OFFLINE') || VireoError.is(err, 'HOST_UNREACHABLE');

async function ensureOn(h: HostView, n: NetworkRecord): Promise<void> {
  const agent = await hostAgent(h.id, h.name);
  await agent.request('network.ensure', { network: networkSpec(n) }, { timeoutMs: AGENT_TIMEOUT_MS });
}

async function removeFrom(h: HostView, n: NetworkRecord): Promise<void> {
  const agent = await hostAgent(h.id, h.name);
  const vlan = networkVlan(n);
  await agent.request(
    'network.remove',
    { name: libvirtNetworkName(n.name), ...(vlan ? { vlan } : {}) },
    { timeoutMs: AGENT_TIMEOUT_MS },
  );
}

export async function createNetwork(input: NetworkCreateInput): Promise<NetworkRecord> {
  if (input.scope === 'host') {
    const host = input.hostId ? await hosts.byId(input.hostId) : null;
    if (!host || host.clusterId !== input.clusterId) {
      throw new VireoError('BAD_INPUT', 'A host network needs a host of the chosen cluster.', { object: 'network' });
    }
  }
  let bridge: string;
  let cidr: string | null = null;
  let dhcp: { start: string; end: string } | null = null;
  if (input.mode === 'bridged') {
    if (!input.bridge) {
      throw new VireoError(
        'BAD_INPUT',
        input.vlan === undefined
          ? 'A bridged network needs the name of a host bridge.'
          : 'A VLAN network needs the host device (NIC or bridge) that carries the VLAN.',
        { object: 'network' },
      );
    }
    // Checked here too, not only at the tRPC edge: services are called from other places.
    const v = vlanTagSchema.safeParse(input.vlan ?? 1);
    if (!v.success) throw new VireoError('BAD_INPUT', 'A VLAN tag is a whole number from 1 to 4094.');
    const b = bridgeNameSchema.safeParse(input.bridge);
    if (!b.success) throw new VireoError('BAD_INPUT', `${input.bridge} is not a Linux interface name.`);
    bridge = input.bridge;
  } else {
    if (!input.cidr || !input.dhcpStart || !input.dhcpEnd) {
      throw new VireoError('BAD_INPUT', 'A NAT or isolated network needs a CIDR and a DHCP range.', {
        object: 'network',
      });
    }
    if (input.vlan !== undefined) throw new VireoError('BAD_INPUT', 'A VLAN tag is for bridged networks only.');
    dhcp = { start: input.dhcpStart, end: input.dhcpEnd };
    cidr = formatCidr(checkNetworkRange(input.cidr, dhcp, await networks.inCluster(input.clusterId)));
    bridge = bridgeName(input.clusterId, input.name);
  }
  let n: NetworkRecord;
  try {
    n = await networks.create({
      name: input.name,
      clusterId: input.clusterId,
      scope: input.scope,
      hostId: input.scope === 'host' ? (input.hostId ?? null) : null,
      mode: input.mode,
      bridge,
      vlan: input.vlan ?? null,
      cidr,
      dhcpStart: dhcp?.start ?? null,
      dhcpEnd: dhcp?.end ?? null,
    });
  } catch (err) {
    if (DbConflictError.is(err)) {
      throw new VireoError('CONFLICT', `A network named ${input.name} already exists in this cluster.`, {
        object: 'network',
      });
    }
    throw err;
  }
  // Online hosts get it now; a refusal (e.g. the range is already routed on a host) undoes the
  // create, so no network exists in Vireo that its hosts cannot have. Offline hosts get it when
  // they come back.
  const done: HostView[] = [];
  for (const h of await targetHosts(n)) {
    if (h.status !== 'online') continue;
    try {
      await ensureOn(h, n);
      done.push(h);
    } catch (err) {
      if (offline(err)) continue;
      for (const d of done)
        await removeFrom(d, n).catch((e) => console.warn(`[network ${n.name}] undo on ${d.name}:`, e));
      await networks.remove(n.id);
      const p = toErrorPayload(err);
      throw new VireoError(p.code, `Host ${h.name} could not create network ${n.name}: ${p.message}`, {
        object: 'network',
        ...(p.libvirt ? { libvirt: p.libvirt } : {}),
      });
    }
  }
  return n;
}

/** Refused while a domain on any host has a NIC on it (the agent checks, where the truth is). */
export async function deleteNetwork(id: string): Promise<void> {
  const n = await mustNetwork(id);
  const done: HostView[] = [];
  for (const h of await targetHosts(n)) {
    if (h.status !== 'online') continue;
    try {
      await removeFrom(h, n);
      done.push(h);
    } catch (err) {
      if (offline(err)) continue;
      // Put it back where it was already removed, so the network stays whole.
      for (const d of done)
        await ensureOn(d, n).catch((e) => console.warn(`[network ${n.name}] redo on ${d.name}:`, e));
      throw err;
    }
  }
  await networks.remove(n.id);
}

export interface NetworkView extends NetworkRecord {
  libvirtName: string;
  hosts: NetworkHostState[];
}

/**
 * The networks a user may see (networkVisibility: a project member, those published to its
 * projects; a delegated admin, those of its scope), each with only the hosts it may see
 * (infraVisibility: none for a member, so no host name reaches it and no host is asked); static
 * leases (other VMs' addresses) only where the user holds a role on the network's infrastructure.
 */
export async function listNetworksFor(user: PermissionUser): Promise<NetworkView[]> {
  const [visible, infra] = await Promise.all([networkVisibility(user), infraVisibility(user)]);
  const rows = await listNetworks({ ...('ids' in visible ? { ids: visible.ids } : {}), hosts: infra });
  if ('all' in infra) return rows;
  const managed = new Set(await networks.idsInScope(infra));
  return rows.map((n) => (managed.has(n.id) ? n : { ...n, staticLeases: [] }));
}

/** Every network with each target host's live state (one `network.list` per online host). */
export async function listNetworks(scope: { ids?: string[]; hosts?: InfraScope } = {}): Promise<NetworkView[]> {
  const [rows, allHosts] = await Promise.all([
    networks.list(scope.ids ? { ids: scope.ids } : {}),
    hosts.list(scope.hosts ? { visibleTo: scope.hosts } : {}),
  ]);
  const live = new Map<string, Promise<NetworkState[] | Error>>();
  for (const h of allHosts) {
    if (h.status !== 'online') continue;
    live.set(
      h.id,
      hostAgent(h.id, h.name)
        .then((a) => a.request('network.list', {}, { timeoutMs: 10_000 }))
        .then((r) => r.networks)
        .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
    );
  }
  return Promise.all(
    rows.map(async (n) => {
      const libvirtName = libvirtNetworkName(n.name);
      const targets = allHosts.filter(
        (h) => h.clusterId === n.clusterId && (n.scope === 'cluster' || h.id === n.hostId),
      );
      const states = await Promise.all(
        targets.map(async (h): Promise<NetworkHostState> => {
          const base = { hostId: h.id, hostName: h.name };
          const got = await live.get(h.id);
          if (!got) return { ...base, status: 'offline' };
          if (got instanceof Error)
            return { ...base, status: offline(got) ? 'offline' : 'error', message: got.message };
          const s = got.find((x) => x.name === libvirtName);
          if (!s) return { ...base, status: 'missing' };
          return { ...base, status: 'ok', active: s.active, autostart: s.autostart, bridge: s.bridge };
        }),
      );
      return { ...n, libvirtName, hosts: states };
    }),
  );
}

/** Live DHCP leases from every online host of the network (dnsmasq's, through libvirt). */
export async function networkLeases(id: string): Promise<(DhcpLease & { hostId: string; hostName: string })[]> {
  const n = await mustNetwork(id);
  if (n.mode === 'bridged') return [];
  const per = await Promise.all(
    (await targetHosts(n))
      .filter((h) => h.status === 'online')
      .map(async (h) => {
        try {
          const agent = await hostAgent(h.id, h.name);
          const { leases } = await agent.request(
            'network.leases',
            { name: libvirtNetworkName(n.name) },
            { timeoutMs: 10_000 },
          );
          return leases.map((l) => ({ ...l, hostId: h.id, hostName: h.name }));
        } catch (err) {
          // Not there yet (host came back, reapply pending) or the host went away: no leases to show.
          if (offline(err) || VireoError.is(err, 'NOT_FOUND', 'network')) return [];
          throw err;
        }
      }),
  );
  return per.flat().sort((a, b) => a.ip.localeCompare(b.ip, undefined, { numeric: true }));
}

/** Push the network's static leases to its online hosts; offline ones get them on reconnect. */
async function syncStaticLeases(n: NetworkRecord): Promise<void> {
  const spec = networkSpec(n);
  for (const h of await targetHosts(n)) {
    if (h.status !== 'online') continue;
    try {
      const agent = await hostAgent(h.id, h.name);
      await agent.request(
        'network.setStaticLeases',
        { name: spec.name, hosts: spec.ipv4?.hosts ?? [] },
        { timeoutMs: AGENT_TIMEOUT_MS },
      );
    } catch (err) {
      if (offline(err)) continue;
      // Missing on that host (it was offline at create): ensure brings it whole.
      if (VireoError.is(err, 'NOT_FOUND', 'network')) await ensureOn(h, n);
      else throw err;
    }
  }
}

export async function addStaticLease(
  networkId: string,
  lease: { mac: string; ip: string; hostname?: string | undefined },
): Promise<NetworkRecord> {
  const n = await mustNetwork(networkId);
  if (!n.cidr)
    throw new VireoError('INVALID_STATE', `Network ${n.name} is bridged: Vireo runs no DHCP on it.`, {
      object: 'network',
    });
  checkStaticAddress(n.cidr, n.dhcpStart && n.dhcpEnd ? { start: n.dhcpStart, end: n.dhcpEnd } : null, lease.ip);
  const mac = lease.mac.toLowerCase();
  const clash = n.staticLeases.find((l) => l.mac === mac || l.ip === lease.ip);
  if (clash) {
    throw new VireoError(
      'CONFLICT',
      clash.mac === mac
        ? `${mac} already has a static lease (${clash.ip}) on ${n.name}.`
        : `${lease.ip} is already given to ${clash.mac} on ${n.name}.`,
      { object: 'network' },
    );
  }
  try {
    await networks.addStaticLease(n.id, { mac, ip: lease.ip, hostname: lease.hostname ?? null });
  } catch (err) {
    // Two admins at once: the unique indexes decide.
    if (DbConflictError.is(err))
      throw new VireoError('CONFLICT', `That MAC or address already has a static lease on ${n.name}.`);
    throw err;
  }
  const updated = await mustNetwork(n.id);
  await syncStaticLeases(updated);
  return updated;
}

export async function removeStaticLease(networkId: string, leaseId: string): Promise<NetworkRecord> {
  await mustNetwork(networkId);
  if (!(await networks.removeStaticLease(networkId, leaseId))) {
    throw new VireoError('NOT_FOUND', 'That static lease does not exist (any more).', { object: 'network' });
  }
  const updated = await mustNetwork(networkId);
  await syncStaticLeases(updated);
  return updated;
}

/**
 * Every cluster gets a NAT network `default` (libvirt `vireo-default`) at manager start-up, once:
 * rows only, hosts get it when they connect (reapplyToHost), like any network created while they
 * were away. An admin who deletes it keeps it deleted only until the next start; hence it is
 * created only for clusters that have no network at all.
 */
const DEFAULT_NETWORK = { name: 'default', cidr: '192.168.124.0/24', start: '192.168.124.100', end: '192.168.124.254' };

export async function ensureDefaultNetworks(): Promise<void> {
  for (const c of await clusters.list()) {
    if ((await networks.inCluster(c.id)).length > 0) continue;
    try {
      await networks.create({
        name: DEFAULT_NETWORK.name,
        clusterId: c.id,
        scope: 'cluster',
        hostId: null,
        mode: 'nat',
        bridge: bridgeName(c.id, DEFAULT_NETWORK.name),
        vlan: null,
        cidr: DEFAULT_NETWORK.cidr,
        dhcpStart: DEFAULT_NETWORK.start,
        dhcpEnd: DEFAULT_NETWORK.end,
      });
    } catch (err) {
      if (!DbConflictError.is(err)) throw err; // another manager starting at the same time made it
    }
  }
}

/**
 * A host (re)connected: make its libvirt match its cluster's networks and every security group.
 * Runs beside the full-state handling, never failing it: a host that cannot take a network is
 * logged and shows it as missing in the list.
 */
export async function reapplyToHost(hostId: string, hostName: string): Promise<void> {
  const host = await hosts.byId(hostId);
  if (!host) return;
  const agent = await hostAgent(hostId, hostName);
  for (const n of await networks.forHost(hostId, host.clusterId)) {
    await agent
      .request('network.ensure', { network: networkSpec(n) }, { timeoutMs: AGENT_TIMEOUT_MS })
      .catch((err) =>
        console.warn(`[host ${hostName}] could not apply network ${n.name}:`, toErrorPayload(err).message),
      );
  }
  for (const g of await networks.listGroups()) {
    await agent
      .request(
        'filter.ensure',
        { name: securityGroupFilterName(g.id), rules: toRules(g.rules) },
        { timeoutMs: AGENT_TIMEOUT_MS },
      )
      .catch((err) =>
        console.warn(`[host ${hostName}] could not apply security group ${g.name}:`, toErrorPayload(err).message),
      );
  }
}
