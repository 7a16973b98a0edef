/**
 * The cookie that carries a login's state, nonce and PKCE verifier from the start to the
 * callback. In the browser, not in the manager: any manager sharing the database can finish a
 * login another one started. HttpOnly, SameSite=Lax (sent on the provider's top-level redirect
 * back, not on cross-site subrequests), `__Host-` over HTTPS, and good for FLOW_TTL_S only.
 * The state in it must equal the callback's `state` (login CSRF); the verifier never leaves
 * this browser except to the token endpoint, through the manager.
 */
import { z } from 'zod';
import type { FlowSecrets } from './client.ts';

export const FLOW_TTL_S = 10 * 60;
const NAME = 'vireo_oidc';

export function flowCookieName(secure: boolean): string {
  return secure ? `__Host-${NAME}` : NAME;
}

const flowSchema = z.object({
  state: z.string().min(16).max(200),
  nonce: z.string().min(16).max(200),
  verifier: z.string().min(43).max(128),
  next: z.string().max(2048),
  /** Seconds since the epoch when the login started. */
  at: z.number().int(),
});
export type Flow = z.infer<typeof flowSchema>;

export function flowCookie(secrets: FlowSecrets, next: string, nowMs: number, secure: boolean): string {
  const value = Buffer.from(JSON.stringify({ ...secrets, next, at: Math.floor(nowMs / 1000) })).toString('base64url');
  return `${flowCookieName(secure)}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${FLOW_TTL_S}${secure ? '; Secure' : ''}`;
}

export function clearFlowCookie(secure: boolean): string {
  return `${flowCookieName(secure)}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The flow of the cookie; null when missing, malformed or older than FLOW_TTL_S. */
export function readFlow(value: string | undefined, nowMs: number): Flow | null {
  if (!value) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = flowSchema.safeParse(json);
  if (!parsed.success) return null;
  const age = nowMs / 1000 - parsed.data.at;
  return age >= 0 && age <= FLOW_TTL_S ? parsed.data : null;
}

/** Where to go after the login: a path on this origin (not the login page), else `/`. */
export function safeNext(next: string | null | undefined): string {
  if (!next || next.length > 2048) return '/';
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(next) || next.includes('\\')) return '/';
  if (next === '/login' || next.startsWith('/login/') || next.startsWith('/login?')) return '/';
  return next;
}
