/**
 * Who is connected: one AgentConnection per host, every domain each host reported (Vireo's or
 * not), and the latest CPU sample per domain. Kept
 * apart from the hub that fills it so that views and placement can read it without importing
 * the hub (which publishes views: that would be an import circle).
 */
import { type DomainInfo, VireoError } from '@vireo/protocol';
import type { AgentConnection } from './agent-connection.ts';

export const connections = new Map<string, AgentConnection>();
/** Latest CPU % per domain uuid, from the bulk stats samples. Kept in memory: it is ephemeral. */
export const domainCpu = new Map<string, number>();

/**
 * hostId → uuid → the domain as its host last reported it (full state, then events). In memory:
 * a host's next full state rebuilds it. Lets create refuse a name any domain already has (libvirt
 * itself only refuses duplicates within one host) and placement count the memory of domains
 * Vireo does not manage.
 */
const hostDomains = new Map<string, Map<string, DomainInfo>>();

export function setHostDomains(hostId: string, domains: readonly DomainInfo[]): void {
  hostDomains.set(hostId, new Map(domains.map((d) => [d.uuid, d])));
}

/** A domain event: the domain as read after it, or null once it is undefined. */
export function setHostDomain(hostId: string, uuid: string, domain: DomainInfo | null): void {
  const domains = hostDomains.get(hostId) ?? new Map<string, DomainInfo>();
  hostDomains.set(hostId, domains);
  if (domain) domains.set(uuid, domain);
  else domains.delete(uuid);
}

/** The domains a connected host last reported; [] for a host that is not connected. */
export function domainsOn(hostId: string): DomainInfo[] {
  return connections.has(hostId) ? [...(hostDomains.get(hostId)?.values() ?? [])] : [];
}

/**
 * Every host whose last report has this domain, connected or not (a host that went away may
 * still run it: for deciding what may be deleted, stale knowledge errs on the safe side).
 */
export function hostsWithDomain(uuid: string): string[] {
  const out: string[] = [];
  for (const [hostId, domains] of hostDomains) if (domains.has(uuid)) out.push(hostId);
  return out;
}

/** Forgets a removed host's domains. */
export function forgetHostDomains(hostId: string): void {
  hostDomains.delete(hostId);
}

/** Whether a domain on any connected host has this name (Vireo's own VMs included). */
export function domainNameInUse(name: string): boolean {
  for (const hostId of connections.keys()) {
    for (const d of hostDomains.get(hostId)?.values() ?? []) if (d.name === name) return true;
  }
  return false;
}

export function domainCpuPercent(uuid: string): number | null {
  return domainCpu.get(uuid) ?? null;
}

export function connectedHostCount(): number {
  return connections.size;
}

export function isHostConnected(hostId: string): boolean {
  return connections.has(hostId);
}

/** The connection to a host, or a readable HOST_OFFLINE error. */
export function agentFor(hostId: string, hostName: string): AgentConnection {
  const conn = connections.get(hostId);
  if (!conn) {
    throw new VireoError(
      'HOST_OFFLINE',
      `Host ${hostName} is offline. Wait for its agent to reconnect, or check the agent on that host.`,
      { object: 'host' },
    );
  }
  return conn;
}
