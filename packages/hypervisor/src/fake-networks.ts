/**
 * In-memory networks and filters for FakeHypervisor (unit tests, scale runs): the same calls
 * change the same state libvirt would keep, without dnsmasq or iptables. Fake domains have no
 * NICs, so no network is ever in use and no lease is ever handed out.
 */
import { randomUUID } from 'node:crypto';
import {
  type DhcpHost,
  type DhcpLease,
  type NetworkSpec,
  type NetworkState,
  type SecurityRule,
  VireoError,
} from '@vireo/protocol';
import { buildNwfilterXml } from './network-xml.ts';
import type { NetworkOps } from './ops/networks.ts';

export class FakeNetworkOps implements NetworkOps {
  private readonly nets = new Map<string, NetworkState>();
  private readonly filters = new Map<string, { uuid: string; rules: SecurityRule[] }>();

  private must(name: string): NetworkState {
    const n = this.nets.get(name);
    if (!n) throw new VireoError('NOT_FOUND', `No network ${name} on this host.`, { object: 'network' });
    return n;
  }

  async list(): Promise<NetworkState[]> {
    return [...this.nets.values()].map((n) => structuredClone(n));
  }
  async get(name: string): Promise<NetworkState | null> {
    const n = this.nets.get(name);
    return n ? structuredClone(n) : null;
  }
  async create(spec: NetworkSpec): Promise<NetworkState> {
    if (this.nets.has(spec.name)) {
      throw new VireoError('LIBVIRT_ERROR', `libvirt refused to define network ${spec.name}: already exists`);
    }
    const { name, mode, bridge, ipv4 } = spec;
    const n: NetworkState = { name, mode, bridge, uuid: randomUUID(), active: true, autostart: true, persistent: true };
    if (ipv4) n.ipv4 = structuredClone(ipv4);
    this.nets.set(name, n);
    return structuredClone(n);
  }
  async start(name: string): Promise<void> {
    this.must(name).active = true;
  }
  async setAutostart(name: string, on: boolean): Promise<void> {
    this.must(name).autostart = on;
  }
  async remove(name: string): Promise<boolean> {
    return this.nets.delete(name);
  }
  async updateDhcpHost(name: string, command: 'add' | 'delete', host: DhcpHost): Promise<void> {
    const ip = this.must(name).ipv4;
    if (!ip) throw new VireoError('LIBVIRT_ERROR', `network ${name} has no DHCP`);
    const others = ip.hosts.filter((h) => h.mac !== host.mac);
    if (command === 'delete' && others.length === ip.hosts.length) {
      throw new VireoError('LIBVIRT_ERROR', `no static lease for ${host.mac} on network ${name}`);
    }
    ip.hosts = command === 'add' ? [...others, host] : others;
  }
  async leases(name: string): Promise<DhcpLease[]> {
    this.must(name);
    return [];
  }
  async domainsUsing(name: string): Promise<string[]> {
    this.must(name);
    return [];
  }
  async listFilters(): Promise<string[]> {
    return [...this.filters.keys()].sort();
  }
  async filterXml(name: string): Promise<string | null> {
    const f = this.filters.get(name);
    return f ? buildNwfilterXml(name, f.rules, f.uuid) : null;
  }
  async defineFilter(name: string, rules: SecurityRule[]): Promise<void> {
    this.filters.set(name, { uuid: this.filters.get(name)?.uuid ?? randomUUID(), rules: structuredClone(rules) });
  }
  async removeFilter(name: string): Promise<boolean> {
    return this.filters.delete(name);
  }
}
