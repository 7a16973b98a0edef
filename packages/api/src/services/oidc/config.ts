/**
 * The single sign-on settings of the manager's config (env.ts). SSO is on when
 * VIREO_OIDC_ISSUER is set; then the client id and the redirect base are required too. Nothing
 * is fetched here: the provider's discovery document is read at the first login (client.ts).
 */
import { z } from 'zod';
import { type GroupRoles, parseGroupRoles } from './group-roles.ts';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** https, or http on loopback only (a provider on the manager's own machine, and the tests'). */
function httpsUrl(what: string) {
  return z.url({ error: `must be a URL (${what})` }).refine((u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname));
  }, 'must be an https:// URL (http:// only for localhost)');
}

const optional = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === '' ? undefined : v), s.optional());

export const oidcSchema = {
  /** The provider's issuer URL, e.g. https://keycloak.example.com/realms/main. */
  VIREO_OIDC_ISSUER: optional(httpsUrl('the issuer, e.g. https://sso.example.com/realms/main')),
  VIREO_OIDC_CLIENT_ID: optional(z.string().min(1).max(255)),
  /** Unset: a public client (PKCE alone). Set: sent to the token endpoint (client_secret_basic). */
  VIREO_OIDC_CLIENT_SECRET: optional(z.string().min(1).max(1024)),
  /**
   * Vireo's address as the browser sees it, e.g. https://vireo.example.com; the redirect URL
   * registered at the provider is this + /api/auth/oidc/callback.
   */
  VIREO_OIDC_REDIRECT_BASE: optional(
    httpsUrl('Vireo as browsers reach it, e.g. https://vireo.example.com').refine(
      (u) => !new URL(u).search && !new URL(u).hash,
      'must have no ?query or #fragment',
    ),
  ),
  /** The button says "Sign in with <name>". */
  VIREO_OIDC_NAME: z.string().trim().min(1).max(40).default('SSO'),
  VIREO_OIDC_SCOPES: z
    .string()
    .default('openid profile email')
    .refine((s) => s.split(/\s+/).includes('openid'), 'must include "openid"'),
  /** The claim that lists the user's groups (ID token or userinfo). */
  VIREO_OIDC_GROUPS_CLAIM: z
    .string()
    .regex(/^[\w.:/-]{1,100}$/, 'must be a claim name')
    .default('groups'),
  /** Group → role mapping, see group-roles.ts and docs/sso.md. */
  VIREO_OIDC_GROUP_ROLES: z
    .unknown()
    .optional()
    .transform((v, ctx): GroupRoles => {
      try {
        return parseGroupRoles(v === '' ? undefined : v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
};

type OidcFields = z.output<z.ZodObject<typeof oidcSchema>>;

/** With an issuer, the client id and redirect base must be there too: each missing one is named. */
export function oidcRefine(env: OidcFields, ctx: z.RefinementCtx): void {
  if (!env.VIREO_OIDC_ISSUER) return;
  for (const key of ['VIREO_OIDC_CLIENT_ID', 'VIREO_OIDC_REDIRECT_BASE'] as const) {
    if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when VIREO_OIDC_ISSUER is set' });
  }
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  redirectUri: string;
  name: string;
  scopes: string;
  groupsClaim: string;
  groupRoles: GroupRoles;
}

export const OIDC_START_PATH = '/api/auth/oidc/start';
export const OIDC_CALLBACK_PATH = '/api/auth/oidc/callback';

/** The settings when SSO is configured, else null. */
export function oidcSettings(env: OidcFields): OidcSettings | null {
  if (!env.VIREO_OIDC_ISSUER || !env.VIREO_OIDC_CLIENT_ID || !env.VIREO_OIDC_REDIRECT_BASE) return null;
  return {
    issuer: env.VIREO_OIDC_ISSUER,
    clientId: env.VIREO_OIDC_CLIENT_ID,
    clientSecret: env.VIREO_OIDC_CLIENT_SECRET,
    redirectUri: `${env.VIREO_OIDC_REDIRECT_BASE.replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}`,
    name: env.VIREO_OIDC_NAME,
    scopes: env.VIREO_OIDC_SCOPES,
    groupsClaim: env.VIREO_OIDC_GROUPS_CLAIM,
    groupRoles: env.VIREO_OIDC_GROUP_ROLES,
  };
}
