/**
 * The OpenID Connect client (openid-client v6): the provider's metadata from
 * /.well-known/openid-configuration, read at the first login and kept (a failed read is retried
 * at the next login, so a provider that was down at the manager's start costs nothing), the
 * authorization URL (code flow, PKCE S256, state, nonce), and the code exchange with the ID
 * token's checks (signature by the provider's JWKS, iss, aud, exp, nonce: done by openid-client).
 */
import * as oidc from 'openid-client';
import type { OidcSettings } from './config.ts';

let cached: { key: string; config: Promise<oidc.Configuration> } | null = null;

function discover(settings: OidcSettings): Promise<oidc.Configuration> {
  const key = `${settings.issuer}\n${settings.clientId}`;
  if (cached?.key === key) return cached.config;
  const insecure = new URL(settings.issuer).protocol === 'http:';
  const config = oidc.discovery(
    new URL(settings.issuer),
    settings.clientId,
    undefined,
    settings.clientSecret ? oidc.ClientSecretBasic(settings.clientSecret) : oidc.None(),
    // http:// is allowed by the config for loopback issuers only (config.ts).
    { timeout: 10, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) },
  );
  cached = { key, config };
  config.catch(() => {
    if (cached?.config === config) cached = null;
  });
  return config;
}

/** What the browser keeps between the start and the callback (in a cookie, see flow-cookie.ts). */
export interface FlowSecrets {
  state: string;
  nonce: string;
  verifier: string;
}

export async function authorizationUrl(settings: OidcSettings): Promise<{ url: URL; secrets: FlowSecrets }> {
  const config = await discover(settings);
  const secrets = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: settings.redirectUri,
    scope: settings.scopes,
    response_type: 'code',
    code_challenge: await oidc.calculatePKCECodeChallenge(secrets.verifier),
    code_challenge_method: 'S256',
    state: secrets.state,
    nonce: secrets.nonce,
  });
  return { url, secrets };
}

export type OidcClaims = Record<string, unknown> & { sub: string; iss: string };

/**
 * Exchanges the code of the callback (`query`: its query string) and returns the ID token's
 * claims, with the userinfo endpoint's added where the ID token lacks them (many providers put
 * groups and profile claims only there).
 */
export async function exchangeCode(settings: OidcSettings, query: string, secrets: FlowSecrets): Promise<OidcClaims> {
  const config = await discover(settings);
  const current = new URL(settings.redirectUri);
  current.search = query;
  const tokens = await oidc.authorizationCodeGrant(config, current, {
    pkceCodeVerifier: secrets.verifier,
    expectedState: secrets.state,
    expectedNonce: secrets.nonce,
    idTokenExpected: true,
  });
  const idClaims = tokens.claims();
  if (!idClaims) throw new Error('The provider sent no ID token.');
  let userinfo: Record<string, unknown> = {};
  if (config.serverMetadata().userinfo_endpoint)
    userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
  return { ...userinfo, ...idClaims } as OidcClaims;
}
