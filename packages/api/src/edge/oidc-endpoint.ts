/**
 * Single sign-on's two browser endpoints (plain redirects, not tRPC):
 * - `GET /api/auth/oidc/start?next=/path`: to the provider's login (code flow, PKCE, state,
 *   nonce; services/oidc/client.ts), the flow's secrets in a short-lived cookie.
 * - `GET /api/auth/oidc/callback?code&state`: checks the state against the cookie, exchanges
 *   the code, finds or creates the account and maps its groups (services/oidc/account.ts), opens
 *   a session as the password login does, and goes on to `next`.
 * Every failure ends on the login page's SSO error page (`/login/sso-error?reason=`), readable
 * and with a way back, and every callback leaves an audit entry (`auth.sso`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VireoError } from '@vireo/protocol';
import { readCookie, sessionCookieName } from '../context.ts';
import { managerEnv } from '../env.ts';
import { type AuditActor, auditEntry, recordAudit } from '../services/audit/record.ts';
import { DEVICE_TTL_S, deviceCookieName } from '../services/device-cookie.ts';
import { openSession } from '../services/login-session.ts';
import { ssoAccount } from '../services/oidc/account.ts';
import { authorizationUrl, exchangeCode } from '../services/oidc/client.ts';
import { OIDC_CALLBACK_PATH, OIDC_START_PATH, oidcSettings } from '../services/oidc/config.ts';
import { clearFlowCookie, flowCookie, flowCookieName, readFlow, safeNext } from '../services/oidc/flow-cookie.ts';
import { clientInfo } from './client-info.ts';
import { sendJson } from './http-guards.ts';

export { OIDC_CALLBACK_PATH, OIDC_START_PATH };

/** Why an SSO login failed; the error page (apps/web/app/login/sso-error) words each one. */
export type SsoFailure = 'unavailable' | 'expired' | 'state' | 'denied' | 'provider' | 'disabled' | 'failed';

function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(302, { location, 'cache-control': 'no-store', ...(cookies.length ? { 'set-cookie': cookies } : {}) });
  res.end();
}

const failurePage = (reason: SsoFailure) => `/login/sso-error?reason=${reason}`;

export async function handleOidcStart(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use GET.' });
  const settings = oidcSettings(managerEnv());
  if (!settings) return redirect(res, '/login');
  const { secure } = clientInfo(req);
  const next = safeNext(new URL(req.url ?? '/', 'http://manager.invalid').searchParams.get('next'));
  let started: Awaited<ReturnType<typeof authorizationUrl>>;
  try {
    started = await authorizationUrl(settings);
  } catch (err) {
    console.error('[sso] could not read the provider configuration of', settings.issuer, err);
    return redirect(res, failurePage('unavailable'));
  }
  redirect(res, started.url.href, [flowCookie(started.secrets, next, Date.now(), secure)]);
}

/** The failure's reason and the audit entry's error for what the callback threw. */
function failureOf(err: unknown): { reason: SsoFailure; error: VireoError } {
  if (err instanceof SsoError) return { reason: err.reason, error: err };
  if (VireoError.is(err, 'FORBIDDEN')) return { reason: 'disabled', error: err as VireoError };
  if (VireoError.is(err)) return { reason: 'failed', error: err as VireoError };
  // openid-client's errors: a refused code, a bad ID token (signature, iss, aud, exp, nonce)...
  const detail = err instanceof Error ? err.message : String(err);
  return { reason: 'provider', error: new SsoError('provider', `The provider's answer was refused: ${detail}`) };
}

class SsoError extends VireoError {
  constructor(
    readonly reason: SsoFailure,
    message: string,
  ) {
    super('UNAUTHORIZED', message, { object: 'session' });
  }
}

export async function handleOidcCallback(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use GET.' });
  const settings = oidcSettings(managerEnv());
  if (!settings) return redirect(res, '/login');
  const started = performance.now();
  const client = clientInfo(req);
  const url = new URL(req.url ?? '/', 'http://manager.invalid');
  const params = url.searchParams;
  const cookies = [clearFlowCookie(client.secure)];
  const flow = readFlow(readCookie(req.headers.cookie, flowCookieName(client.secure)), Date.now());
  let actor: AuditActor = { userId: null, username: null, auth: null, address: client.address };
  const input: Record<string, unknown> = { provider: settings.name, issuer: settings.issuer };
  try {
    if (!flow) throw new SsoError('expired', 'The sign-in took too long or was started in another browser.');
    const providerError = params.get('error');
    if (providerError) {
      input.providerError = providerError.slice(0, 100);
      throw new SsoError(
        providerError === 'access_denied' ? 'denied' : 'provider',
        `The provider refused the sign-in (${providerError.slice(0, 100)}).`,
      );
    }
    if (params.get('state') !== flow.state)
      throw new SsoError('state', 'The sign-in answer does not belong to this browser (state mismatch).');
    const claims = await exchangeCode(settings, url.search, flow);
    input.subject = claims.sub;
    const account = await ssoAccount(settings, claims).catch((err: unknown) => {
      if (VireoError.is(err, 'FORBIDDEN')) input.username = String(claims.preferred_username ?? claims.sub);
      throw err;
    });
    actor = { ...actor, userId: account.user.id, username: account.user.username, auth: { kind: 'session' } };
    Object.assign(input, {
      username: account.user.username,
      created: account.created,
      groups: account.groups.slice(0, 50),
      role: account.user.role,
      ...(account.unresolved.length ? { unresolvedScopes: account.unresolved } : {}),
    });
    const deviceName = deviceCookieName(client.secure);
    const session = await openSession(account.user, readCookie(req.headers.cookie, deviceName), Date.now());
    cookies.push(
      `${sessionCookieName(client.secure)}=${encodeURIComponent(session.token)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${session.maxAgeS}${client.secure ? '; Secure' : ''}`,
      `${deviceName}=${encodeURIComponent(session.device)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${DEVICE_TTL_S}${client.secure ? '; Secure' : ''}`,
    );
    await recordAudit(auditEntry(actor, 'auth.sso', input, { ok: true }, performance.now() - started));
    redirect(res, flow.next, cookies);
  } catch (err) {
    const { reason, error } = failureOf(err);
    if (reason === 'provider' || reason === 'failed') console.error('[sso] sign-in failed:', err);
    await recordAudit(auditEntry(actor, 'auth.sso', input, { ok: false, error }, performance.now() - started));
    redirect(res, failurePage(reason), cookies);
  }
}
