/**
 * A real OpenID Connect provider for the SSO tests: `oidc-provider` (the certified Node
 * implementation) on loopback, with its development login and consent pages (any password is
 * accepted; the login name is the account) and a `groups` claim the test can change between
 * logins. scripts/test.sh points the manager at it (VIREO_OIDC_*); the manager reads its
 * discovery document only at the first login click, so starting it inside the test is enough.
 */
import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';
import { baseUrl } from './api.ts';

export const OIDC_CLIENT_ID = 'vireo-test';
export const OIDC_CLIENT_SECRET = 'vireo-test-oidc-secret-0123456789';

export interface TestProvider {
  issuer: string;
  /** Each account's groups, read at every login: change them to change what the next login says. */
  groups: Map<string, string[]>;
  close(): Promise<void>;
}

export async function startTestProvider(): Promise<TestProvider> {
  const port = Number(process.env.VIREO_TEST_OIDC_PORT ?? 4200);
  const issuer = `http://127.0.0.1:${port}`;
  const groups = new Map<string, string[]>();
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        client_secret: OIDC_CLIENT_SECRET,
        redirect_uris: [`${baseUrl()}/api/auth/oidc/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // Vireo always sends S256; requiring it proves the verifier reaches the token endpoint.
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'email', 'groups'],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'], groups: ['groups'] },
    cookies: { keys: ['vireo-test-oidc-cookie-key-0123456789'] },
    // Fixed lifetimes (seconds): the defaults work but print a notice each.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, preferred_username: sub, name: `Test ${sub}`, groups: groups.get(sub) ?? [] };
        },
      };
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('[test oidc provider]', err));
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    issuer,
    groups,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
