/**
 * Networks and network filters on this host. The manager sends the whole wanted state (a network
 * with its static DHCP hosts, a filter with its rules) and the handler makes libvirt match it, so
 * re-sending after a reconnect, or to a host that was offline, is always safe.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import {
  type AgentParams,
  type AgentResult,
  type DhcpHost,
  type NetworkSpec,
  type NetworkState,
  VireoError,
  vlanInterfaceNames,
} from '@vireo/protocol';
import { type HostVlans, ipVlans } from '../host-vlan.ts';
import type { Logger } from '../logger.ts';

type NetworkMethod =
  | 'network.ensure'
  | 'network.remove'
  | 'network.list'
  | 'network.leases'
  | 'network.setStaticLeases'
  | 'filter.ensure'
  | 'filter.remove';

const sameHost = (a: DhcpHost, b: DhcpHost) =>
  a.mac === b.mac && a.ip === b.ip && (a.hostname ?? '') === (b.hostname ?? '');

/** What cannot be changed on a defined network without redefining it (and cutting its guests off). */
function shapeDiffers(have: NetworkState, want: NetworkSpec): string | null {
  if (have.mode !== want.mode) return `mode ${have.mode}, not ${want.mode}`;
  if (have.bridge !== want.bridge) return `bridge ${have.bridge}, not ${want.bridge}`;
  const a = have.ipv4;
  const b = want.ipv4;
  if (a?.address !== b?.address || a?.prefix !== b?.prefix) return `address ${a?.address}/${a?.prefix}`;
  if (a?.dhcp?.start !== b?.dhcp?.start || a?.dhcp?.end !== b?.dhcp?.end) return 'another DHCP range';
  return null;
}

export function networkHandlers(hv: Hypervisor, logger: Logger, vlans: HostVlans = ipVlans(logger)) {
  const nets = hv.networks;

  /** Static DHCP hosts to exactly `want`: deletions first, so a MAC or IP can move. */
  async function syncHosts(name: string, have: DhcpHost[], want: DhcpHost[]) {
    const remove = have.filter((h) => !want.some((w) => sameHost(h, w)));
    const add = want.filter((w) => !have.some((h) => sameHost(h, w)));
    for (const h of remove) await nets.updateDhcpHost(name, 'delete', h);
    for (const h of add) await nets.updateDhcpHost(name, 'add', h);
    if (remove.length + add.length > 0)
      logger.info('static leases synced', { name, added: add.length, removed: remove.length });
    return { added: add.length, removed: remove.length };
  }

  async function mustGet(name: string): Promise<NetworkState> {
    const n = await nets.get(name);
    if (!n) throw new VireoError('NOT_FOUND', `No network ${name} on this host.`, { object: 'network' });
    return n;
  }

  const handlers: { [M in NetworkMethod]: (p: AgentParams<M>) => Promise<AgentResult<M>> } = {
    async 'network.ensure'({ network: spec }) {
      // A tagged network's bridge is ours to make, before libvirt is pointed at it.
      const plumbing = spec.vlan ? await vlans.ensure(spec.vlan) : null;
      let have = await nets.get(spec.name);
      if (!have) {
        try {
          const made = await nets.create(spec);
          logger.info('network created', { name: spec.name, mode: spec.mode, bridge: spec.bridge });
          return { network: made, created: true };
        } catch (err) {
          // Two ensures at once (a host coming online while an admin creates the network): the
          // other one defined it; carry on with it. Anything else is the error it is.
          have = await nets.get(spec.name);
          if (!have) {
            if (spec.vlan && plumbing?.created) await vlans.remove(spec.vlan).catch(() => {});
            throw err;
          }
        }
      }
      const differs = shapeDiffers(have, spec);
      if (differs) {
        throw new VireoError(
          'CONFLICT',
          `Network ${spec.name} already exists on this host with ${differs}; remove it there first.`,
          { object: 'network' },
        );
      }
      if (!have.persistent) {
        throw new VireoError('CONFLICT', `Network ${spec.name} exists on this host but is transient.`, {
          object: 'network',
        });
      }
      if (spec.ipv4) await syncHosts(spec.name, have.ipv4?.hosts ?? [], spec.ipv4.hosts);
      if (!have.active) await nets.start(spec.name);
      if (!have.autostart) await nets.setAutostart(spec.name, true);
      return { network: await mustGet(spec.name), created: false };
    },

    async 'network.remove'({ name, vlan }) {
      const users = await nets.domainsUsing(name).catch((err: unknown) => {
        if (VireoError.is(err, 'NOT_FOUND', 'network')) return [];
        throw err;
      });
      if (users.length > 0) {
        throw new VireoError(
          'CONFLICT',
          `Network ${name} is used by ${users.join(', ')} on this host; remove their NICs first.`,
          { object: 'network' },
        );
      }
      const removed = await nets.remove(name);
      if (vlan) {
        // Networks with the same parent and tag share the bridge: it goes with the last of them.
        const { bridge } = vlanInterfaceNames(vlan);
        const others = (await nets.list()).filter((n) => n.bridge === bridge).map((n) => n.name);
        if (others.length === 0) await vlans.remove(vlan);
        else logger.info('VLAN bridge kept', { bridge, usedBy: others });
      }
      return { removed };
    },

    async 'network.list'() {
      return { networks: await nets.list() };
    },

    async 'network.leases'({ name }) {
      return { leases: await nets.leases(name) };
    },

    async 'network.setStaticLeases'({ name, hosts }) {
      const n = await mustGet(name);
      if (!n.ipv4)
        throw new VireoError('INVALID_STATE', `Network ${name} has no DHCP on this host.`, { object: 'network' });
      return syncHosts(name, n.ipv4.hosts, hosts);
    },

    async 'filter.ensure'({ name, rules }) {
      await nets.defineFilter(name, rules);
      return {};
    },

    async 'filter.remove'({ name }) {
      return { removed: await nets.removeFilter(name) };
    },
  };
  return handlers;
}
