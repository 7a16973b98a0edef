/**
 * The manager's network edge, beside Next.js in one Node server: tRPC over HTTP/SSE, the agent
 * enrollment endpoint, Prometheus `/metrics` (metrics-endpoint.ts), image upload chunks
 * (image-upload.ts), the audit log's CSV export (audit-export.ts), and the three WebSocket
 * endpoints (agent link, agent console dial-back, browser console, shared view-only console). Other requests are left to Next; other WebSocket upgrades are refused.
 * Every state-changing request passes the body limit and the CSRF check (http-guards.ts) first,
 * and every response carries the security headers (security-headers.ts).
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
import { hosts } from '@vireo/db';
import { WebSocketServer } from 'ws';
import { createContext } from '../context.ts';
import { managerEnv } from '../env.ts';
import { appRouter } from '../root.ts';
import { auditEntry, recordAudit } from '../services/audit/record.ts';
import { attachAgent, authenticateAgent } from '../services/agent-hub.ts';
import { connectedHostCount } from '../services/agent-registry.ts';
import { enrollHost } from '../services/host-service.ts';
import { LoginThrottledError } from '../services/login-throttle.ts';
import { AUDIT_EXPORT_PATH, handleAuditExport } from './audit-export.ts';
import { handleShowbackExport, SHOWBACK_EXPORT_PATH } from './showback-export.ts';
import { clientInfo, configuredOrigins, normalizeAddress } from './client-info.ts';
import {
  acceptAgentConsole,
  authorizeBrowserConsole,
  authorizeSharedConsole,
  relayBrowserConsole,
} from './console-proxy.ts';
import { SHARE_WS_PATH } from '../services/console-share.ts';
import { csrfRefusal, readBodyLimited, refuseUnread, sendJson } from './http-guards.ts';
import {
  handleInternalAgentRequest,
  INTERNAL_AGENT_REQUEST_PATH,
  INTERNAL_CONSOLE_WS_PATH,
  internalConsoleTarget,
} from './internal-endpoint.ts';
import { handleImageUpload, IMAGE_UPLOAD_PREFIX } from './image-upload.ts';
import { handleMetrics, METRICS_PATH, timeTrpcRequest } from './metrics-endpoint.ts';
import { handleOidcCallback, handleOidcStart, OIDC_CALLBACK_PATH, OIDC_START_PATH } from './oidc-endpoint.ts';
import { setApiSecurityHeaders, setPageSecurityHeaders } from './security-headers.ts';

const TRPC_PREFIX = '/api/trpc/';
/** Generous for any form in the UI; nothing the API takes comes near it. */
export const MAX_TRPC_BODY = 256 * 1024;
/** The most calls one tRPC batch may carry (a page's first render sends a handful). */
export const MAX_TRPC_BATCH = 20;
export const MAX_ENROLL_BODY = 4096;
/** Next.js's development server pushes code changes over this WebSocket (HMR). */
const NEXT_DEV_UPGRADE_PREFIX = '/_next/';
/** Unauthenticated liveness: up, and how many hosts are online (no names, no inventory). */
const HEALTH_PATH = '/api/health';

export interface ManagerEdge {
  /** Handles the request if it is the edge's; false means "give it to Next". */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Handles a WebSocket upgrade if it is the edge's, refuses it (404) if nobody serves its path;
   * false only for Next's development HMR socket, which is Next's.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Puts the security headers (and the CSP nonce Next uses) on a request Next will answer. */
  preparePage(req: IncomingMessage, res: ServerResponse): void;
}

/** Answers the upgrade request with an error and closes, even if the client never reads or closes. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const cut = setTimeout(() => socket.destroy(), 1000);
  cut.unref();
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => {
    clearTimeout(cut);
    socket.destroy();
  });
}

/** A state-changing request's common gate: CSRF check, then the body within `limit`. */
async function guardedBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  allowedOrigins: readonly string[],
): Promise<Buffer | null> {
  const refusal = csrfRefusal(req, allowedOrigins);
  if (refusal) {
    refuseUnread(req, res, refusal.status, {
      code: refusal.status === 415 ? 'BAD_INPUT' : 'FORBIDDEN',
      message: refusal.message,
    });
    return null;
  }
  return readBodyLimited(req, res, limit);
}

async function handleEnroll(req: IncomingMessage, res: ServerResponse, allowedOrigins: string[]): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use POST.' });
  const raw = await guardedBody(req, res, MAX_ENROLL_BODY, allowedOrigins);
  if (!raw) return;
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return sendJson(res, 400, { code: 'BAD_INPUT', message: 'Body is not JSON.' });
  }
  const parsed = enrollRequestSchema.safeParse(body);
  if (!parsed.success)
    return sendJson(res, 400, {
      code: 'BAD_INPUT',
      message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(' '),
    });
  // An agent enrolling is anonymous (its one-time token is the credential, and is redacted).
  const started = performance.now();
  const actor = { userId: null, username: null, auth: null, address: clientInfo(req).address };
  try {
    const enrolled = await enrollHost(parsed.data);
    await recordAudit(auditEntry(actor, 'host.enroll', parsed.data, { ok: true }, performance.now() - started));
    sendJson(res, 200, enrolled);
  } catch (err) {
    await recordAudit(
      auditEntry(actor, 'host.enroll', parsed.data, { ok: false, error: err }, performance.now() - started),
    );
    const payload = toErrorPayload(err);
    const status = VireoError.is(err, 'UNAUTHORIZED') ? 401 : VireoError.is(err, 'CONFLICT') ? 409 : 500;
    sendJson(res, status, payload);
  }
}

/**
 * tRPC takes the body we read (req.body as a string) instead of reading the stream itself, so
 * the limit is ours; mutations (POST) pass the CSRF check first. A throttled login gets its
 * Retry-After header here.
 */
function createTrpcHandler(allowedOrigins: string[]) {
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext,
    basePath: TRPC_PREFIX,
    maxBatchSize: MAX_TRPC_BATCH,
    // An error that is not a domain error (VireoError) nor tRPC's own is a bug or a failure the
    // user is told only "failed on the server" about: its details go to the manager's log.
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR' && !(error.cause instanceof VireoError)) {
        console.error(`[trpc] ${path ?? '(unknown procedure)'} failed:`, error.cause ?? error);
      }
    },
    responseMeta({ errors }) {
      const throttled = errors.map((e) => e.cause).find((c) => c instanceof LoginThrottledError);
      return throttled ? { headers: { 'retry-after': String(throttled.retryAfterS) } } : {};
    },
  });
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const raw = await guardedBody(req, res, MAX_TRPC_BODY, allowedOrigins);
      if (!raw) return;
      (req as IncomingMessage & { body?: string }).body = raw.toString('utf8');
    }
    trpc(req, res);
  };
}

export function createManagerEdge(): ManagerEdge {
  const env = managerEnv();
  const dev = env.NODE_ENV === 'development';
  const allowedOrigins = configuredOrigins();
  const trpc = createTrpcHandler(allowedOrigins);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, then: (ws: import('ws').WebSocket) => void) =>
    wss.handleUpgrade(req, socket, head, then);

  return {
    handleRequest(req, res) {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const failed = (err: unknown) => {
        console.error('The edge failed on', path, err);
        if (!res.headersSent) sendJson(res, 500, { code: 'INTERNAL', message: 'Internal error.' });
        else res.end();
      };
      if (path.startsWith(TRPC_PREFIX)) {
        setApiSecurityHeaders(res);
        timeTrpcRequest(res, path.slice(TRPC_PREFIX.length));
        trpc(req, res).catch(failed);
        return true;
      }
      if (path === HEALTH_PATH) {
        // hostsOnline: of the installation (several managers share the hosts); agentsConnected: here.
        hosts
          .countOnline()
          .then((online) =>
            sendJson(res, 200, { ok: true, hostsOnline: online, agentsConnected: connectedHostCount() }),
          )
          .catch(failed);
        return true;
      }
      if (path === METRICS_PATH) {
        handleMetrics(req, res).catch(failed);
        return true;
      }
      if (path === AUDIT_EXPORT_PATH) {
        handleAuditExport(req, res).catch(failed);
        return true;
      }
      if (path === SHOWBACK_EXPORT_PATH) {
        handleShowbackExport(req, res).catch(failed);
        return true;
      }
      if (path === ENROLL_PATH) {
        handleEnroll(req, res, allowedOrigins).catch(failed);
        return true;
      }
      if (path.startsWith(IMAGE_UPLOAD_PREFIX)) {
        setApiSecurityHeaders(res);
        handleImageUpload(req, res, path, allowedOrigins).catch(failed);
        return true;
      }
      if (path === OIDC_START_PATH || path === OIDC_CALLBACK_PATH) {
        setApiSecurityHeaders(res);
        (path === OIDC_START_PATH ? handleOidcStart : handleOidcCallback)(req, res).catch(failed);
        return true;
      }
      if (path === INTERNAL_AGENT_REQUEST_PATH) {
        handleInternalAgentRequest(req, res).catch(failed);
        return true;
      }
      return false;
    },

    preparePage(req, res) {
      setPageSecurityHeaders(req, res, dev);
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
                ? upgrade(req, socket, head, (ws) =>
                    attachAgent(ws, host, normalizeAddress(req.socket.remoteAddress ?? '') || undefined),
                  )
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
        case INTERNAL_CONSOLE_WS_PATH: {
          const target = internalConsoleTarget(req, url);
          const attach = target && acceptAgentConsole(target.channelId, target.hostId);
          if (!attach) refuseUpgrade(socket, 403, 'Forbidden');
          else upgrade(req, socket, head, attach);
          return true;
        }
        case BROWSER_CONSOLE_WS_PATH:
          authorizeBrowserConsole(req, url, allowedOrigins).then(
            (result) => {
              if ('status' in result) return refuseUpgrade(socket, result.status, result.reason);
              upgrade(req, socket, head, (ws) => void relayBrowserConsole(ws, result));
            },
            () => refuseUpgrade(socket, 500, 'Internal Error'),
          );
          return true;
        case SHARE_WS_PATH:
          authorizeSharedConsole(req, url, allowedOrigins).then(
            (result) => {
              if ('status' in result) return refuseUpgrade(socket, result.status, result.reason);
              upgrade(req, socket, head, (ws) => void relayBrowserConsole(ws, result));
            },
            () => refuseUpgrade(socket, 500, 'Internal Error'),
          );
          return true;
        default:
          if (dev && url.pathname.startsWith(NEXT_DEV_UPGRADE_PREFIX)) return false;
          // Nobody serves this path: say so and close, rather than leave the socket open forever.
          refuseUpgrade(socket, 404, 'Not Found');
          return true;
      }
    },
  };
}
