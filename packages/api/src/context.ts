import type { IncomingMessage, ServerResponse } from 'node:http';
import { sessions } from '@vireo/db';
import type { UserView } from './views.ts';

export const SESSION_COOKIE = 'vireo_session';

export interface Context {
  user: UserView | null;
  session: { id: string } | null;
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
  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (!token) return null;
  const found = await sessions.findValid(token);
  return found && { user: found.user, session: { id: found.id } };
}

export async function createContext({ req, res }: { req: IncomingMessage; res: ServerResponse }): Promise<Context> {
  const found = await sessionFromRequest(req);
  return {
    user: found?.user ?? null,
    session: found?.session ?? null,
    setCookie: (value) => {
      const prev = res.getHeader('Set-Cookie');
      const list = Array.isArray(prev) ? prev : prev ? [String(prev)] : [];
      res.setHeader('Set-Cookie', [...list, value]);
    },
  };
}
