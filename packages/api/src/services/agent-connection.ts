/**
 * One connected agent: sends requests and matches replies by id. Requests time out; a closed
 * connection fails everything pending with HOST_UNREACHABLE, so no caller waits forever.
 */
import { randomUUID } from 'node:crypto';
import {
  type AgentMethod,
  type AgentParams,
  type AgentResult,
  agentRequests,
  type ErrorPayload,
  VireoError,
} from '@vireo/protocol';
import type { WebSocket } from 'ws';

interface Pending {
  method: AgentMethod;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  onProgress: ((progress: number, message?: string) => void) | undefined;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** The task this request works for: the agent journals and de-duplicates by it. */
  taskId?: string;
  onProgress?: (progress: number, message?: string) => void;
}

export class AgentConnection {
  private readonly pending = new Map<string, Pending>();

  constructor(
    readonly hostId: string,
    readonly hostName: string,
    private readonly ws: WebSocket,
    /** The address the agent connected from: how other hosts reach it (migration). */
    readonly address?: string,
  ) {}

  request<M extends AgentMethod>(
    method: M,
    params: AgentParams<M>,
    opts: RequestOptions = {},
  ): Promise<AgentResult<M>> {
    const id = randomUUID();
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise<AgentResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new VireoError('TIMEOUT', `Host ${this.hostName} did not answer ${method} within ${timeoutMs / 1000} s.`),
        );
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (value) => resolve(value as AgentResult<M>),
        reject,
        timer,
        onProgress: opts.onProgress,
      });
      const msg = { t: 'request', id, method, params, ...(opts.taskId ? { taskId: opts.taskId } : {}) };
      this.ws.send(JSON.stringify(msg), (err) => {
        if (err)
          this.settle(id, undefined, {
            code: 'HOST_UNREACHABLE',
            message: `Could not reach host ${this.hostName}: ${err.message}`,
          });
      });
    });
  }

  /** A reply arrived: validate its result against the method's schema and settle the caller. */
  settle(id: string, result: unknown, error?: ErrorPayload): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (error) {
      p.reject(VireoError.fromPayload(error));
      return;
    }
    const parsed = agentRequests[p.method].result.safeParse(result);
    if (parsed.success) p.resolve(parsed.data);
    else p.reject(new VireoError('INTERNAL', `Host ${this.hostName} sent a malformed ${p.method} reply.`));
  }

  progress(id: string, progress: number, message?: string): void {
    this.pending.get(id)?.onProgress?.(progress, message);
  }

  close(reason: string): void {
    for (const [id] of this.pending) {
      this.settle(id, undefined, {
        code: 'HOST_UNREACHABLE',
        message: `Lost the connection to host ${this.hostName}: ${reason}`,
      });
    }
    this.ws.close();
  }
}
