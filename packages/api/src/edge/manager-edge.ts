/**
 * The manager's network edge, beside Next.js in one Node server: tRPC over HTTP/SSE, the agent
 * enrollment endpoint, and the three WebSocket endpoints (agent link, agent console dial-back,
 * browser console). Everything else is left to Next.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import {
  AGENT_CONSOLE_WS_PATH,
  AGENT_WS_PATH,
  BROWSER_CONSOLE_WS_PATH,
  ENROLL_PATH,
  enrollRequestSchema,
  toErrorPayload,
  VireoError,
} from '@vireo/protocol';
import { WebSocketServer } from 'ws';
import { createContext } from '../context.ts';
import { managerEnv } from '../env.ts';
import { appRouter } from '../root.ts';
import { attachAgent, authenticateAgent } from '../services/agent-hub.ts';
import { connectedHostCount } from '../services/agent-registry.ts';
import { enrollHost } from '../services/host-service.ts';
import { acceptAgentConsole, authorizeBrowserConsole, relayBrowserConsole } from './console-proxy.ts';

const TRPC_PREFIX = '/api/trpc/';
const MAX_ENROLL_BODY = 4096;
/** Unauthenticated liveness: up, and how many agents are connected (no names, no inventory). */
const HEALTH_PATH = '/api/health';

export interface ManagerEdge {
  /** Handles the request if it is the edge's; false means "give it to Next". */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Handles a WebSocket upgrade if it is the edge's; false means "give it to Next". */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function handleEnroll(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use POST.' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_ENROLL_BODY) return sendJson(res, 413, { code: 'BAD_INPUT', message: 'Body too large.' });
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return sendJson(res, 400, { code: 'BAD_INPUT', message: 'Body is not JSON.' });
  }
  const parsed = enrollRequestSchema.safeParse(body);
  if (!parsed.success)
    return sendJson(res, 400, {
      code: 'BAD_INPUT',
      message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(' '),
    });
  try {
    sendJson(res, 200, await enrollHost(parsed.data));
  } catch (err) {
    const payload = toErrorPayload(err);
    const status = VireoError.is(err, 'UNAUTHORIZED') ? 401 : VireoError.is(err, 'CONFLICT') ? 409 : 500;
    sendJson(res, status, payload);
  }
}

export function createManagerEdge(): ManagerEdge {
  const env = managerEnv();
  const allowedOrigins = env.VIREO_ALLOWED_ORIGINS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const trpc = createHTTPHandler({ router: appRouter, createContext, basePath: TRPC_PREFIX });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, then: (ws: import('ws').WebSocket) => void) =>
    wss.handleUpgrade(req, socket, head, then);

  return {
    handleRequest(req, res) {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path.startsWith(TRPC_PREFIX)) {
        trpc(req, res);
        return true;
      }
      if (path === HEALTH_PATH) {
        sendJson(res, 200, { ok: true, hostsOnline: connectedHostCount() });
        return true;
      }
      if (path === ENROLL_PATH) {
        handleEnroll(req, res).catch((err) => sendJson(res, 500, toErrorPayload(err)));
        return true;
      }
      return false;
    },

    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://manager.invalid');
      // While the upgrade is authorised asynchronously the raw socket has no error listener
      // (Node removes the HTTP server's on upgrade): a client reset would crash the process.
      socket.on('error', () => socket.destroy());
      switch (url.pathname) {
        case AGENT_WS_PATH:
          authenticateAgent(req).then(
            (host) =>
              host
                ? upgrade(req, socket, head, (ws) => attachAgent(ws, host))
                : refuseUpgrade(socket, 401, 'Unauthorized'),
            () => refuseUpgrade(socket, 500, 'Internal Error'),
          );
          return true;
        case AGENT_CONSOLE_WS_PATH:
          authenticateAgent(req).then(
            (host) => {
              const attach = host && acceptAgentConsole(url.searchParams.get('channel') ?? '', host.id);
              if (!attach) return refuseUpgrade(socket, 403, 'Forbidden');
              upgrade(req, socket, head, attach);
            },
            () => refuseUpgrade(socket, 500, 'Internal Error'),
          );
          return true;
        case BROWSER_CONSOLE_WS_PATH:
          authorizeBrowserConsole(req, url, allowedOrigins).then(
            (result) => {
              if ('status' in result) return refuseUpgrade(socket, result.status, result.reason);
              upgrade(req, socket, head, (ws) => void relayBrowserConsole(ws, result.vm, result.sessionId));
            },
            () => refuseUpgrade(socket, 500, 'Internal Error'),
          );
          return true;
        default:
          return false;
      }
    },
  };
}
