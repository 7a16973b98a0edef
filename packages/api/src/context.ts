import type { IncomingMessage, ServerResponse } from 'node:http';
import { sessions } from '@vireo/db';
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

export interface Context {
  user: UserView | null;
  session: { id: string } | null;
  /** The client's address (for login throttling) and whether it came over HTTPS. */
  client: ClientInfo;
  /** A cookie of the request (the login reads the device cookie). */
  cookie: (name: string) => string | undefined;
  /** Sets a cookie on the response (login/logout). */
  setCookie: (value: string) => void;
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

export async function createContext({ req, res }: { req: IncomingMessage; res: ServerResponse }): Promise<Context> {
  const found = await sessionFromRequest(req);
  return {
    user: found?.user ?? null,
    session: found?.session ?? null,
    client: clientInfo(req),
    cookie: (name) => readCookie(req.headers.cookie, name),
    setCookie: (value) => {
      const prev = res.getHeader('Set-Cookie');
      const list = Array.isArray(prev) ? prev : prev ? [String(prev)] : [];
      res.setHeader('Set-Cookie', [...list, value]);
    },
  };
}
