/**
 * Manager-to-manager endpoints, for several managers sharing one database. Authenticated by the
 * shared VIREO_CLUSTER_SECRET (Bearer, constant-time compare); without it they do not exist (404).
 * A reverse proxy in front of the managers must not forward `/internal/` (README).
 * - POST /internal/agent-request: another manager's request for an agent connected here; the
 *   answer streams as NDJSON: progress lines, then the reply (agent-router.ts reads it).
 * - WebSocket /internal/console-channel: the bridged console of an agent connected to another
 *   manager, arriving where the browser waits (console-proxy.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AgentMethod, agentRequests, toErrorPayload } from '@vireo/protocol';
import WebSocket from 'ws';
import { z } from 'zod';
import { managerEnv } from '../env.ts';
import { connections, hostOffline } from '../services/agent-registry.ts';
import { INTERNAL_AGENT_REQUEST_PATH, type RelayLine } from '../services/agent-router.ts';
import { bridgeSockets, expectAgentConsole } from './console-proxy.ts';
import { readBodyLimited, sendJson, tokenMatches } from './http-guards.ts';

export { INTERNAL_AGENT_REQUEST_PATH };
export const INTERNAL_CONSOLE_WS_PATH = '/internal/console-channel';
const MAX_BODY = 1024 * 1024;

const methodNames = Object.keys(agentRequests) as [AgentMethod, ...AgentMethod[]];
const relayRequestSchema = z.object({
  hostId: z.string().min(1).max(64),
  method: z.enum(methodNames),
  params: z.unknown(),
  taskId: z.string().min(1).max(64).optional(),
  timeoutMs: z.number().int().min(1000).max(3_600_000),
  /** The asking manager's internal URL: where a console is bridged to. */
  replyTo: z.string().url(),
});

/** True if the request carries the cluster secret (and the cluster secret is set). */
export function isInternalCaller(req: IncomingMessage): boolean {
  const secret = managerEnv().VIREO_CLUSTER_SECRET;
  return !!secret && tokenMatches(req.headers.authorization, secret);
}

export async function handleInternalAgentRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!managerEnv().VIREO_CLUSTER_SECRET) return sendJson(res, 404, { code: 'NOT_FOUND', message: 'Not found.' });
  if (!isInternalCaller(req))
    return sendJson(res, 401, { code: 'UNAUTHORIZED', message: 'Not a manager of this installation.' });
  if (req.method !== 'POST') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use POST.' });
  const raw = await readBodyLimited(req, res, MAX_BODY);
  if (!raw) return;
  let body: z.infer<typeof relayRequestSchema>;
  try {
    body = relayRequestSchema.parse(JSON.parse(raw.toString('utf8')));
  } catch {
    return sendJson(res, 400, { code: 'BAD_INPUT', message: 'Not a valid agent request.' });
  }
  const params = agentRequests[body.method].params.safeParse(body.params);
  if (!params.success) return sendJson(res, 400, { code: 'BAD_INPUT', message: `Bad params for ${body.method}.` });

  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  const write = (line: RelayLine) => res.write(`${JSON.stringify(line)}\n`);
  try {
    const conn = connections.get(body.hostId);
    if (!conn) throw hostOffline(body.hostId);
    // A console's or an upload chunk's bytes: the agent dials back here, and they are bridged to
    // the asking manager, where the browser is.
    if (body.method === 'console.open' || body.method === 'console.openSerial' || body.method === 'image.uploadChunk') {
      const { channelId } = params.data as unknown as { channelId: string };
      const target = new URL(INTERNAL_CONSOLE_WS_PATH, body.replyTo);
      target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
      target.searchParams.set('channel', channelId);
      target.searchParams.set('host', body.hostId);
      const secret = managerEnv().VIREO_CLUSTER_SECRET as string;
      expectAgentConsole(channelId, body.hostId, (agentWs) => {
        bridgeSockets(agentWs, new WebSocket(target, { headers: { authorization: `Bearer ${secret}` } }));
      });
    }
    const result = await conn.request(body.method, params.data as never, {
      timeoutMs: body.timeoutMs,
      ...(body.taskId ? { taskId: body.taskId } : {}),
      onProgress: (progress, message) => write({ t: 'progress', progress, ...(message ? { message } : {}) }),
    });
    write({ t: 'reply', ok: true, result });
  } catch (err) {
    write({ t: 'reply', ok: false, error: toErrorPayload(err) });
  }
  res.end();
}

/** Rejects internal upgrades that do not carry the secret; the host id must match the channel's. */
export function internalConsoleTarget(req: IncomingMessage, url: URL): { channelId: string; hostId: string } | null {
  if (!isInternalCaller(req)) return null;
  const channelId = url.searchParams.get('channel') ?? '';
  const hostId = url.searchParams.get('host') ?? '';
  if (!channelId || !hostId) return null;
  return { channelId, hostId };
}
