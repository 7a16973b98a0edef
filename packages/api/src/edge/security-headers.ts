/**
 * Security headers for every response the manager sends: pages rendered by Next.js and the
 * edge's own API answers.
 *
 * Pages get a nonce-based CSP: Next.js App Router streams its data in inline <script> tags, and
 * it puts the nonce it finds in the request's `Content-Security-Policy` header on each of them,
 * so we write the policy on the request (for Next) and on the response (for the browser). That
 * requires pages to render per request (the root layout is force-dynamic): a prerendered page
 * would carry no nonce. noVNC needs only same-origin script, a same-origin WebSocket
 * (`connect-src 'self'`, which covers ws:/wss: to our own host) and a canvas; its cursor is a
 * data: URL image.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const COMMON = {
  'x-content-type-options': 'nosniff',
  // Not `no-referrer`: under it browsers send `Origin: null` on POSTs, which the CSRF check refuses.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
} as const;

/** The page policy for one nonce. Development adds 'unsafe-eval' (React's dev tooling uses eval). */
export function pageCsp(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'${dev ? " 'unsafe-eval'" : ''}`,
    // Inline style attributes come from React's server render; a nonce here would disable them.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** JSON answers are never rendered as documents. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

function setAll(res: ServerResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

export function setApiSecurityHeaders(res: ServerResponse): void {
  setAll(res, { ...COMMON, 'content-security-policy': API_CSP });
}

/** Before Next.js renders: a fresh nonce on the response's policy and, for Next, on the request. */
export function setPageSecurityHeaders(req: IncomingMessage, res: ServerResponse, dev: boolean): void {
  const csp = pageCsp(randomBytes(16).toString('base64'), dev);
  req.headers['content-security-policy'] = csp;
  setAll(res, { ...COMMON, 'content-security-policy': csp });
}
