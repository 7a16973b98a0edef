/**
 * Who is connected to this manager: one AgentConnection per host, and the latest CPU sample per
 * domain. (Every domain each host reported, Vireo's or not, is in the database, `hostDomains`,
 * so that every manager reads it.) Kept
 * apart from the hub that fills it so that views and placement can read it without importing
 * the hub (which publishes views: that would be an import circle).
 */
import { VireoError } from '@vireo/protocol';
import type { AgentConnection } from './agent-connection.ts';

export const connections = new Map<string, AgentConnection>();
/** Latest CPU % per domain uuid, from the bulk stats samples. Kept in memory: it is ephemeral. */
export const domainCpu = new Map<string, number>();

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
