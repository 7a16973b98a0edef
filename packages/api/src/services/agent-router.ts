/**
 * Reaches a host's agent through whichever manager holds its connection: this one directly, or
 * the lease holder over its internal endpoint (`/internal/agent-request`, authenticated by the
 * shared VIREO_CLUSTER_SECRET), which streams progress lines and then the reply. Callers see one
 * `request()`, whatever manager the agent is connected to.
 */
import {
  type AgentMethod,
  type AgentParams,
  type AgentResult,
  agentRequests,
  type ErrorPayload,
  VireoError,
} from '@vireo/protocol';
import { hosts } from '@vireo/db';
import { managerEnv } from '../env.ts';
import type { RequestOptions } from './agent-connection.ts';
import { connections, hostOffline } from './agent-registry.ts';
import { selfId, selfUrl } from './cluster.ts';

export const INTERNAL_AGENT_REQUEST_PATH = '/internal/agent-request';

export interface HostAgent {
  request<M extends AgentMethod>(method: M, params: AgentParams<M>, opts?: RequestOptions): Promise<AgentResult<M>>;
}

/** The host's agent, wherever it is connected; HOST_OFFLINE if nowhere. */
export async function hostAgent(hostId: string, hostName: string): Promise<HostAgent> {
  const local = connections.get(hostId);
  if (local) return local;
  const holder = await hosts.leaseHolder(hostId);
  const secret = managerEnv().VIREO_CLUSTER_SECRET;
  if (!holder || holder.managerId === selfId() || !secret) throw hostOffline(hostName);
  return remoteAgent(holder.internalUrl, hostId, hostName, secret);
}

/** One line of the internal endpoint's streamed answer. */
type RelayReply = { t: 'reply'; ok: true; result: unknown } | { t: 'reply'; ok: false; error: ErrorPayload };
export type RelayLine = { t: 'progress'; progress: number; message?: string } | RelayReply;

function remoteAgent(baseUrl: string, hostId: string, hostName: string, secret: string): HostAgent {
  return {
    async request(method, params, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 30_000;
      const unreachable = (why: string) =>
        new VireoError('HOST_UNREACHABLE', `Could not reach host ${hostName} through the manager holding it: ${why}`);
      let res: Response;
      try {
        res = await fetch(new URL(INTERNAL_AGENT_REQUEST_PATH, baseUrl), {
          method: 'POST',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ hostId, method, params, taskId: opts.taskId, timeoutMs, replyTo: selfUrl() }),
          // The holder enforces timeoutMs against the agent; this only bounds a hung manager.
          signal: AbortSignal.timeout(timeoutMs + 5000),
        });
      } catch (err) {
        throw unreachable(err instanceof Error ? err.message : String(err));
      }
      if (!res.ok || !res.body) throw unreachable(`HTTP ${res.status}`);
      let reply: RelayReply | undefined;
      let buffered = '';
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          let nl = buffered.indexOf('\n');
          while (nl >= 0) {
            const line = JSON.parse(buffered.slice(0, nl)) as RelayLine;
            buffered = buffered.slice(nl + 1);
            if (line.t === 'progress') opts.onProgress?.(line.progress, line.message);
            else reply = line;
            nl = buffered.indexOf('\n');
          }
        }
      } catch (err) {
        throw unreachable(err instanceof Error ? err.message : String(err));
      }
      if (!reply) throw unreachable('the answer ended early');
      if (!reply.ok) throw VireoError.fromPayload(reply.error);
      const parsed = agentRequests[method].result.safeParse(reply.result);
      if (!parsed.success) throw new VireoError('INTERNAL', `Host ${hostName} sent a malformed ${method} reply.`);
      return parsed.data as AgentResult<typeof method>;
    },
  };
}
