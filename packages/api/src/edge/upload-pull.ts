/**
 * An upload chunk's bytes, handed to the agent as one plain HTTP response: the manager where the
 * browser's PUT arrived registers the chunk under a one-off channel id, asks the agent to write
 * it, and the agent GETs AGENT_UPLOAD_PULL_PATH with its bearer; the PUT body is piped into that
 * response (backpressure by the streams themselves, nothing held whole, no WebSocket framing).
 *
 * Several managers: when the agent is connected to another manager, that one registers the same
 * channel id (internal-endpoint.ts) and, when its agent pulls, pulls the bytes in turn from the
 * asking manager's INTERNAL_UPLOAD_PULL_PATH (the cluster secret) and pipes them through.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { AGENT_UPLOAD_PULL_PATH } from '@vireo/protocol';
import { authenticateAgent } from '../services/agent-hub.ts';
import { sendJson } from './http-guards.ts';

export { AGENT_UPLOAD_PULL_PATH };
export const INTERNAL_UPLOAD_PULL_PATH = '/internal/upload-chunk';
/** How long a registered chunk waits for the agent's pull. */
const PULL_WAIT_MS = 10_000;

type Serve = (res: ServerResponse) => void;
const pending = new Map<string, { hostId: string; serve: Serve }>();

/** Registers a chunk for `hostId`'s agent to pull once under `channelId`. */
export function expectUploadPull(channelId: string, hostId: string, serve: Serve): void {
  const timer = setTimeout(() => pending.delete(channelId), PULL_WAIT_MS);
  timer.unref();
  pending.set(channelId, {
    hostId,
    serve: (res) => {
      clearTimeout(timer);
      pending.delete(channelId);
      serve(res);
    },
  });
}

function take(channelId: string, hostId: string): Serve | null {
  const entry = pending.get(channelId);
  return entry && entry.hostId === hostId ? entry.serve : null;
}

/** The browser's PUT body (of `length` bytes) → the puller's response. */
export function serveRequestBody(req: IncomingMessage, length: number): Serve {
  return (res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(length) });
    // The browser went away mid-chunk: the response is cut short, the host keeps what arrived.
    pipeline(req, res).catch(() => res.destroy());
  };
}

/**
 * Pulls the chunk from the manager where the browser is (`replyTo`, the cluster secret) and
 * passes it to the puller here.
 */
export function serveFromManager(replyTo: string, channelId: string, hostId: string, secret: string): Serve {
  return (res) => {
    const url = new URL(INTERNAL_UPLOAD_PULL_PATH, replyTo);
    url.searchParams.set('channel', channelId);
    url.searchParams.set('host', hostId);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = request(url, { method: 'GET', headers: { authorization: `Bearer ${secret}` } }, (body) => {
      if (body.statusCode !== 200) {
        body.resume();
        return sendJson(res, 502, { code: 'HOST_UNREACHABLE', message: 'The other manager refused the chunk.' });
      }
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': body.headers['content-length'] ?? '0',
      });
      pipeline(body, res).catch(() => res.destroy());
    });
    upstream.on('error', () => {
      if (!res.headersSent) sendJson(res, 502, { code: 'HOST_UNREACHABLE', message: 'The other manager is gone.' });
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    upstream.end();
  };
}

/** GET AGENT_UPLOAD_PULL_PATH?channel=…: the agent's pull, authenticated by its bearer. */
export async function handleAgentUploadPull(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== 'GET') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use GET.' });
  const host = await authenticateAgent(req);
  if (!host) return sendJson(res, 401, { code: 'UNAUTHORIZED', message: 'Not an agent of this installation.' });
  const serve = take(url.searchParams.get('channel') ?? '', host.id);
  if (!serve) return sendJson(res, 404, { code: 'NOT_FOUND', message: 'No such upload chunk for this host.' });
  serve(res);
}

/** GET INTERNAL_UPLOAD_PULL_PATH?channel=…&host=…: another manager's pull for its agent. */
export function handleInternalUploadPull(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  isInternalCaller: boolean,
): void {
  if (!isInternalCaller)
    return sendJson(res, 401, { code: 'UNAUTHORIZED', message: 'Not a manager of this installation.' });
  if (req.method !== 'GET') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use GET.' });
  const serve = take(url.searchParams.get('channel') ?? '', url.searchParams.get('host') ?? '');
  if (!serve) return sendJson(res, 404, { code: 'NOT_FOUND', message: 'No such upload chunk.' });
  serve(res);
}
