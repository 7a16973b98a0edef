/**
 * What every state-changing HTTP request must pass before a handler sees it: a body no larger
 * than the endpoint's limit (refused with 413 before it is read), and proof that it was not
 * forged by another site (CSRF).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isAllowedOrigin } from './client-info.ts';
import { setApiSecurityHeaders } from './security-headers.ts';

/** After refusing a body, how long the client gets to read our answer before the socket is cut. */
const LINGER_MS = 2000;

/**
 * `Authorization: Bearer <token>` against a configured token. Hashing both sides first gives
 * equal lengths, so the comparison leaks neither length nor content.
 */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  setApiSecurityHeaders(res);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Answers a request whose body we will not read, and stops taking it. Node would end such a
 * connection by destroying the socket as soon as the answer is written; with unread data the
 * kernel then sends a reset, and a client still uploading gets EPIPE before it reads our
 * answer. So we close gently instead: end our side after the answer, stop reading (the
 * client's upload stalls on a full window), and destroy the socket after LINGER_MS, or sooner
 * once the client closes.
 */
export function refuseUnread(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = () => {
    socket.end();
    stopReading(req);
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
  stopReading(req);
  sendJson(res, status, body, { connection: 'close' });
}

function stopReading(req: IncomingMessage): void {
  req.removeAllListeners('data');
  req.pause();
  req.socket.pause();
}

export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  refuseUnread(req, res, 413, {
    code: 'PAYLOAD_TOO_LARGE',
    message: `The request body is larger than ${limit} bytes.`,
  });
}

/**
 * Reads a body of at most `limit` bytes. A declared Content-Length over the limit is refused
 * before one byte is read; a chunked body is counted as it arrives and refused as soon as it
 * passes the limit. Returns null once the 413 has been sent.
 */
export async function readBodyLimited(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!Number.isFinite(declared) || declared > limit) {
    refuseTooLarge(req, res, limit);
    return null;
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        refuseTooLarge(req, res, limit);
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/** `application/json`, with or without parameters such as charset. */
export function isJsonContentType(value: string | undefined): boolean {
  return (value ?? '').split(';', 1)[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Why a state-changing request must be refused as a possible cross-site forgery, or null.
 *
 * - An Origin header must be our own origin or one in VIREO_ALLOWED_ORIGINS. Browsers send it on
 *   every POST (`null` from sandboxes and opaque origins, which is refused).
 * - Without Origin, Sec-Fetch-Site (sent by current browsers) must not say another site or origin
 *   (another port on our host is `same-site`, not `same-origin`).
 * - The body must be declared JSON. An HTML form can only send urlencoded, multipart or
 *   text/plain, and a cross-origin script can send `application/json` only after a CORS preflight,
 *   which this server never grants. So a request without Origin (the agent's enrollment, scripts
 *   and curl) is accepted only when no browser could have been made to send it.
 */
export function csrfRefusal(
  req: IncomingMessage,
  allowedOrigins: readonly string[],
  /** The body types the endpoint takes (JSON unless said); image chunks are octet-stream PUTs. */
  acceptsType: (contentType: string | undefined) => boolean = isJsonContentType,
): { status: number; message: string } | null {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (!isAllowedOrigin(req, origin, allowedOrigins)) {
      return { status: 403, message: `Requests from origin ${origin.slice(0, 100)} are not allowed.` };
    }
  } else {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return { status: 403, message: 'Cross-site requests are not allowed.' };
    }
  }
  if (!acceptsType(req.headers['content-type'])) {
    return { status: 415, message: 'Send the request body as JSON (content-type: application/json).' };
  }
  return null;
}
