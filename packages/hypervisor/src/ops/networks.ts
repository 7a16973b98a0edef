/**
 * libvirt networks and network filters over libvirt-dbus (org.libvirt.Network, org.libvirt.NWFilter
 * and the Connect methods that find them). Signatures: /usr/share/dbus-1/interfaces/org.libvirt.
 * {Connect,Network,NWFilter}.xml (libvirt-dbus 1.4.1).
 */
import dbus from 'dbus-next';
import {
  type DhcpHost,
  type DhcpLease,
  type NetworkSpec,
  type NetworkState,
  type SecurityRule,
  VireoError,
} from '@vireo/protocol';
import {
  buildNetworkXml,
  buildNwfilterXml,
  dhcpHostXml,
  domainNetworkNames,
  parseNetworkXml,
  parseNwfilterXml,
} from '../network-xml.ts';
import { validateXml } from '../validate-xml.ts';

export { libvirtNetworkName, securityGroupFilterName } from '@vireo/protocol';

/** LibvirtDbusHypervisor's one path to libvirt. */
export type LibvirtCallFn = (
  path: string,
  iface: string,
  method: string,
  signature: string,
  args: unknown[],
  what: string,
) => Promise<unknown[]>;

export interface NetworkOps {
  list(): Promise<NetworkState[]>;
  /** null when the host has no network of that name. */
  get(name: string): Promise<NetworkState | null>;
  /** Define from the spec (validated first), start it and mark it autostart. */
  create(spec: NetworkSpec): Promise<NetworkState>;
  start(name: string): Promise<void>;
  setAutostart(name: string, on: boolean): Promise<void>;
  /** Stop (if running) and undefine; false if there was no such network. */
  remove(name: string): Promise<boolean>;
  /** Add or delete one static DHCP host, live (when the network runs) and in its config. */
  updateDhcpHost(name: string, command: 'add' | 'delete', host: DhcpHost): Promise<void>;
  leases(name: string): Promise<DhcpLease[]>;
  /** Names of the domains defined on this host with a NIC on the network. */
  domainsUsing(name: string): Promise<string[]>;
  listFilters(): Promise<string[]>;
  /** null when no such filter. */
  filterXml(name: string): Promise<string | null>;
  /** Define or redefine (same uuid) a filter; libvirt re-applies it to running guests at once. */
  defineFilter(name: string, rules: SecurityRule[]): Promise<void>;
  /** false if there was no such filter; libvirt refuses while an interface references it. */
  removeFilter(name: string): Promise<boolean>;
}

const IFACE = {
  connect: 'org.libvirt.Connect',
  network: 'org.libvirt.Network',
  nwfilter: 'org.libvirt.NWFilter',
  domain: 'org.libvirt.Domain',
  properties: 'org.freedesktop.DBus.Properties',
} as const;

/** https://libvirt.org/html/libvirt-libvirt-network.html#virNetworkUpdateCommand and friends. */
export const VIR_NETWORK_UPDATE_COMMAND = { DELETE: 2, ADD_LAST: 3 } as const;
export const VIR_NETWORK_SECTION_IP_DHCP_HOST = 4;
export const VIR_NETWORK_UPDATE_AFFECT = { LIVE: 1, CONFIG: 2 } as const;

function unwrap(v: unknown): unknown {
  while (v instanceof dbus.Variant) v = v.value;
  return v;
}

/**
 * libvirt-dbus carries no libvirt error code, only its message (see libvirt-call.ts); these
 * prefixes are libvirt's fixed texts for VIR_ERR_NO_NETWORK and VIR_ERR_NO_NWFILTER.
 */
const isMissing = (err: unknown, prefix: RegExp) =>
  VireoError.is(err, 'LIBVIRT_ERROR') && prefix.test(err.libvirt?.message ?? '');
const NO_NETWORK = /^Network not found\b/;
const NO_FILTER = /^Network filter not found\b/;

export class LibvirtNetworkOps implements NetworkOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  private connectCall(method: string, signature: string, args: unknown[], what: string) {
    return this.call(this.connectPath, IFACE.connect, method, signature, args, what);
  }

  private async networkPath(name: string): Promise<string | null> {
    try {
      const [path] = await this.connectCall('NetworkLookupByName', 's', [name], `find network ${name}`);
      return path as string;
    } catch (err) {
      if (isMissing(err, NO_NETWORK)) return null;
      throw err;
    }
  }

  private async mustNetworkPath(name: string): Promise<string> {
    const path = await this.networkPath(name);
    if (!path) throw new VireoError('NOT_FOUND', `No network ${name} on this host.`, { object: 'network' });
    return path;
  }

  private async stateAt(path: string): Promise<NetworkState> {
    const what = `read network ${path}`;
    const [[xml], [props]] = await Promise.all([
      this.call(path, IFACE.network, 'GetXMLDesc', 'u', [0], what),
      this.call(path, IFACE.properties, 'GetAll', 's', [IFACE.network], what),
    ]);
    const p = props as Record<string, unknown>;
    return {
      ...parseNetworkXml(xml as string),
      active: Boolean(unwrap(p.Active)),
      autostart: Boolean(unwrap(p.Autostart)),
      persistent: Boolean(unwrap(p.Persistent)),
    };
  }

  async list(): Promise<NetworkState[]> {
    const [paths] = await this.connectCall('ListNetworks', 'u', [0], 'list networks');
    const all = await Promise.all(
      (paths as string[]).map((p) =>
        this.stateAt(p).catch((err) => (isMissing(err, NO_NETWORK) ? null : Promise.reject(err))),
      ),
    );
    return all.filter((n): n is NetworkState => n !== null);
  }

  async get(name: string): Promise<NetworkState | null> {
    const path = await this.networkPath(name);
    return path ? this.stateAt(path) : null;
  }

  async create(spec: NetworkSpec): Promise<NetworkState> {
    const xml = buildNetworkXml(spec);
    await validateXml(xml, 'network');
    const [path] = await this.connectCall('NetworkDefineXML', 's', [xml], `define network ${spec.name}`);
    try {
      await this.call(path as string, IFACE.network, 'Create', '', [], `start network ${spec.name}`);
    } catch (err) {
      // e.g. its range is already routed on this host: leave no half-made network behind.
      await this.call(path as string, IFACE.network, 'Undefine', '', [], `undefine network ${spec.name}`).catch(
        () => {},
      );
      throw err;
    }
    await this.autostartAt(path as string, spec.name, true);
    return this.stateAt(path as string);
  }

  async start(name: string): Promise<void> {
    await this.call(await this.mustNetworkPath(name), IFACE.network, 'Create', '', [], `start network ${name}`);
  }

  private async autostartAt(path: string, name: string, on: boolean): Promise<void> {
    await this.call(
      path,
      IFACE.properties,
      'Set',
      'ssv',
      [IFACE.network, 'Autostart', new dbus.Variant('b', on)],
      `set autostart of network ${name}`,
    );
  }

  async setAutostart(name: string, on: boolean): Promise<void> {
    await this.autostartAt(await this.mustNetworkPath(name), name, on);
  }

  async remove(name: string): Promise<boolean> {
    const path = await this.networkPath(name);
    if (!path) return false;
    const state = await this.stateAt(path);
    if (state.active) await this.call(path, IFACE.network, 'Destroy', '', [], `stop network ${name}`);
    if (state.persistent) await this.call(path, IFACE.network, 'Undefine', '', [], `undefine network ${name}`);
    return true;
  }

  async updateDhcpHost(name: string, command: 'add' | 'delete', host: DhcpHost): Promise<void> {
    const path = await this.mustNetworkPath(name);
    const { active } = await this.stateAt(path);
    // LIVE on a stopped network is an error; CONFIG alone then (it applies on the next start).
    const flags = VIR_NETWORK_UPDATE_AFFECT.CONFIG | (active ? VIR_NETWORK_UPDATE_AFFECT.LIVE : 0);
    await this.call(
      path,
      IFACE.network,
      'Update',
      'uuisu',
      [
        command === 'add' ? VIR_NETWORK_UPDATE_COMMAND.ADD_LAST : VIR_NETWORK_UPDATE_COMMAND.DELETE,
        VIR_NETWORK_SECTION_IP_DHCP_HOST,
        -1, // parentIndex: the first <ip> with a <dhcp>
        dhcpHostXml(host),
        flags,
      ],
      `${command} static lease ${host.mac} → ${host.ip} on network ${name}`,
    );
  }

  async leases(name: string): Promise<DhcpLease[]> {
    const path = await this.mustNetworkPath(name);
    const [rows] = await this.call(path, IFACE.network, 'GetDHCPLeases', 'su', ['', 0], `read leases of ${name}`);
    // a(sxisssuss): iface, expirytime, type, mac, iaid, ipaddr, prefix, hostname, clientid
    return (rows as [string, bigint, number, string, string, string, number, string, string][]).map((r) => ({
      mac: r[3].toLowerCase(),
      ip: r[5],
      prefix: Number(r[6]),
      hostname: r[7],
      expiresAt: Number(r[1]),
    }));
  }

  async domainsUsing(name: string): Promise<string[]> {
    const [paths] = await this.connectCall('ListDomains', 'u', [0], 'list domains');
    const users = await Promise.all(
      (paths as string[]).map(async (p) => {
        try {
          const [[xml], [props]] = await Promise.all([
            this.call(p, IFACE.domain, 'GetXMLDesc', 'u', [0], 'read a domain XML'),
            this.call(p, IFACE.properties, 'Get', 'ss', [IFACE.domain, 'Name'], 'read a domain name'),
          ]);
          return domainNetworkNames(xml as string).includes(name) ? String(unwrap(props)) : null;
        } catch (err) {
          if (VireoError.is(err, 'NOT_FOUND', 'vm')) return null; // undefined meanwhile
          throw err;
        }
      }),
    );
    return users.filter((u): u is string => u !== null);
  }

  private async filterPath(name: string): Promise<string | null> {
    try {
      const [path] = await this.connectCall('NWFilterLookupByName', 's', [name], `find network filter ${name}`);
      return path as string;
    } catch (err) {
      if (isMissing(err, NO_FILTER)) return null;
      throw err;
    }
  }

  async listFilters(): Promise<string[]> {
    const [paths] = await this.connectCall('ListNWFilters', 'u', [0], 'list network filters');
    const names = await Promise.all(
      (paths as string[]).map(async (p) => {
        const [v] = await this.call(p, IFACE.properties, 'Get', 'ss', [IFACE.nwfilter, 'Name'], 'read a filter name');
        return String(unwrap(v));
      }),
    );
    return names.sort();
  }

  async filterXml(name: string): Promise<string | null> {
    const path = await this.filterPath(name);
    if (!path) return null;
    const [xml] = await this.call(path, IFACE.nwfilter, 'GetXMLDesc', 'u', [0], `read network filter ${name}`);
    return xml as string;
  }

  async defineFilter(name: string, rules: SecurityRule[]): Promise<void> {
    // Redefining needs the filter's uuid: without it libvirt refuses ("filter '…' already exists
    // with uuid …", seen in the lab).
    const current = await this.filterXml(name);
    const uuid = current ? parseNwfilterXml(current).uuid : undefined;
    const xml = buildNwfilterXml(name, rules, uuid);
    await validateXml(xml, 'nwfilter');
    await this.connectCall('NWFilterDefineXML', 's', [xml], `define network filter ${name}`);
  }

  async removeFilter(name: string): Promise<boolean> {
    const path = await this.filterPath(name);
    if (!path) return false;
    await this.call(path, IFACE.nwfilter, 'Undefine', '', [], `undefine network filter ${name}`);
    return true;
  }
}
