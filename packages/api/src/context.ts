import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiTokenScope, apiTokens, sessions } from '@vireo/db';
import { type ClientInfo, clientInfo } from './edge/client-info.ts';
import type { UserView } from './views.ts';

export const SESSION_COOKIE = 'vireo_session';
/**
 * Over HTTPS the cookie is `__Host-vireo_session`: the browser then insists on Secure, Path=/ and
 * no Domain, so a sibling subdomain cannot plant a session of its own. Only that name is read
 * over HTTPS, only the plain one over HTTP.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

/** How the request authenticated: a browser session cookie, or an API token (scripts). */
export type Auth = { kind: 'session'; sessionId: string } | { kind: 'token'; tokenId: string; scope: ApiTokenScope };

export interface Context {
  user: UserView | null;
  /** The browser session; null for anonymous requests and for API tokens. */
  session: { id: string } | null;
  auth: Auth | null;
  /** The client's address (for login throttling) and whether it came over HTTPS. */
  client: ClientInfo;
  /** A cookie of the request (the login reads the device cookie). */
  cookie: (name: string) => string | undefined;
  /** Sets a cookie on the response (login/logout). */
  setCookie: (value: string) => void;
  /**
   * The permission matrix test's probe: the permission middleware answers PROBE_ALLOWED for an
   * allowed call instead of running it. Never set for real requests.
   */
  permissionProbe?: boolean;
  /** The request sent `Authorization: Bearer` with a token that is not (or no longer) valid. */
  bearerRefused?: boolean;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined; // a malformed cookie is no session, not a server error
      }
    }
  }
  return undefined;
}

/** Resolves the session cookie of a request to its user, or nulls. */
export async function sessionFromRequest(
  req: IncomingMessage,
): Promise<{ user: UserView; session: { id: string } } | null> {
  const token = readCookie(req.headers.cookie, sessionCookieName(clientInfo(req).secure));
  if (!token) return null;
  const found = await sessions.findValid(token);
  return found && { user: found.user, session: { id: found.id } };
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

/**
 * The request's user: by API token when it sends `Authorization: Bearer`, else by session
 * cookie. A Bearer header that names no valid token (unknown, revoked, expired, disabled user)
 * is anonymous, never a fallback to the cookie: a script sees UNAUTHORIZED, not someone's session.
 */
export async function authFromRequest(req: IncomingMessage): Promise<{ user: UserView; auth: Auth } | null> {
  const bearer = bearerToken(req);
  if (bearer !== undefined) {
    const token = await apiTokens.findValid(bearer);
    return token && { user: token.user, auth: { kind: 'token', tokenId: token.id, scope: token.scope } };
  }
  const found = await sessionFromRequest(req);
  return found && { user: found.user, auth: { kind: 'session', sessionId: found.session.id } };
}

export async function createContext({ req, res }: { req: IncomingMessage; res: ServerResponse }): Promise<Context> {
  const found = await authFromRequest(req);
  return {
    user: found?.user ?? null,
    session: found?.auth.kind === 'session' ? { id: found.auth.sessionId } : null,
    auth: found?.auth ?? null,
    bearerRefused: !found && bearerToken(req) !== undefined,
    client: clientInfo(req),
    cookie: (name) => readCookie(req.headers.cookie, name),
    setCookie: (value) => {
      const prev = res.getHeader('Set-Cookie');
      const list = Array.isArray(prev) ? prev : prev ? [String(prev)] : [];
      res.setHeader('Set-Cookie', [...list, value]);
    },
  };
}
