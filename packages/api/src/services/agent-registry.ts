/**
 * Who is connected to this manager: one AgentConnection per host, every domain each host reported
 * (Vireo's or not; kept in the database, so every manager reads it), and the latest CPU sample per
 * domain. Kept
 * apart from the hub that fills it so that views and placement can read it without importing
 * the hub (which publishes views: that would be an import circle).
 */
import { type HostDomainView, hostDomains } from '@vireo/db';
import { type DomainInfo, VireoError } from '@vireo/protocol';
import type { AgentConnection } from './agent-connection.ts';

export const connections = new Map<string, AgentConnection>();
/** Latest CPU % per domain uuid, from the bulk stats samples. Kept in memory: it is ephemeral. */
export const domainCpu = new Map<string, number>();

/** A host's full state: its domain list, as every manager reads it (host-domains in the db). */
export async function setHostDomains(hostId: string, domains: readonly DomainInfo[]): Promise<void> {
  await hostDomains.replaceForHost(hostId, domains);
}

/** The domains an online host last reported; [] for a host that is not online. */
export async function domainsOn(hostId: string, online: boolean): Promise<HostDomainView[]> {
  return online ? hostDomains.onHost(hostId) : [];
}

/**
 * Every host whose last report has this domain, online or not (a host that went away may
 * still run it: for deciding what may be deleted, stale knowledge errs on the safe side).
 */
export function hostsWithDomain(uuid: string): Promise<string[]> {
  return hostDomains.hostsWith(uuid);
}

/** Whether a domain on any online host has this name (Vireo's own VMs included). */
export function domainNameInUse(name: string): Promise<boolean> {
  return hostDomains.nameInUseOnline(name);
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

/** The readable error for a host nobody can reach now. */
export function hostOffline(hostName: string): VireoError {
  return new VireoError(
    'HOST_OFFLINE',
    `Host ${hostName} is offline. Wait for its agent to reconnect, or check the agent on that host.`,
    { object: 'host' },
  );
}
