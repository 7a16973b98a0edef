/**
 * Who is connected: one AgentConnection per host, and the latest CPU sample per domain. Kept
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
