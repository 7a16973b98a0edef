/**
 * What every state-changing HTTP request must pass before a handler sees it: a body no larger
 * than the endpoint's limit (refused with 413 before it is read), and proof that it was not
 * forged by another site (CSRF).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowedOrigin } from './client-info.ts';
import { setApiSecurityHeaders } from './security-headers.ts';

/** After a 413, how long and how much more of the body we swallow before cutting the socket. */
const LINGER_MS = 1000;
const LINGER_BYTES = 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  setApiSecurityHeaders(res);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Answers a request whose body we will not read, and stops taking it. The socket is not closed
 * at once: closing a socket with unread data makes the kernel send a reset, and a client still
 * uploading may then never read our answer. So we half-close after the answer, discard what is
 * already on its way for a moment (bounded in time and bytes, never kept), then destroy it.
 */
export function refuseUnread(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const socket = req.socket;
  sendJson(res, status, body, { connection: 'close' });
  // Otherwise Node would read and discard the whole rest of the body (req._dump).
  req.removeAllListeners('data');
  req.pause();
  let discarded = 0;
  const cut = () => socket.destroy();
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  socket.on('close', () => clearTimeout(timer));
  socket.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) cut();
  });
  res.on('finish', () => socket.end());
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
  if (!isJsonContentType(req.headers['content-type'])) {
    return { status: 415, message: 'Send the request body as JSON (content-type: application/json).' };
  }
  return null;
}
