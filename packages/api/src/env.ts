/**
 * The manager's configuration: the only reader of environment variables in the manager.
 * Defaults → file (JSON of the same names: VIREO_CONFIG, else /etc/vireo/manager.json when it
 * exists) → environment; invalid values stop the process with a message naming the variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { normalizedPathSchema } from '@vireo/protocol';
import { z } from 'zod';
import { oidcRefine, oidcSchema } from './services/oidc/config.ts';

const schema = z.object({
  VIREO_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  VIREO_LISTEN: z.string().default('0.0.0.0'),
  /** Extra origins allowed to open consoles, comma-separated; the request's own origin always is. */
  VIREO_ALLOWED_ORIGINS: z.string().default(''),
  /** Seconds a console ticket stays valid (single use either way). */
  VIREO_CONSOLE_TICKET_TTL_S: z.coerce.number().int().min(1).max(60).default(30),
  VIREO_SESSION_TTL_H: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  /**
   * Hours an enrollment token stays valid, and an admin's re-install grant for a host: the one
   * value for both the UI and scripts/enrollment-token.ts.
   */
  VIREO_ENROLLMENT_TOKEN_TTL_H: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 7)
    .default(24),
  /** How long a create or delete waits for its host (disk work can be slow); then the VM is unknown until the host says. */
  VIREO_DISK_OPERATION_TIMEOUT_S: z.coerce.number().int().min(1).max(3600).default(120),
  VIREO_SHUTDOWN_TIMEOUT_S: z.coerce.number().int().min(1).max(600).default(60),
  /** How often each manager looks for due scheduled snapshots (seconds). */
  VIREO_SNAPSHOT_TICK_S: z.coerce.number().int().min(1).max(300).default(15),
  /** Memory the scheduler keeps free on every host for the host itself. */
  VIREO_HOST_RESERVED_MIB: z.coerce.number().int().min(0).default(256),
  /**
   * How long stats history keeps its 10 s buckets (hours) and its 5 min buckets (days). Each
   * host or VM costs ~230 bytes per bucket on SQLite: 8,640 buckets a day at 10 s, 288 a day at
   * 5 min (docs/stats-history.md has the sums for 10,000 VMs).
   */
  VIREO_STATS_RAW_RETENTION_H: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 7)
    .default(24),
  VIREO_STATS_ROLLUP_RETENTION_D: z.coerce.number().int().min(1).max(400).default(30),
  /**
   * Addresses of the reverse proxies the admin trusts, comma-separated (e.g. `127.0.0.1`). Only
   * for a request whose socket comes from one of them are X-Forwarded-For (the client's address,
   * for login throttling) and X-Forwarded-Proto (`https`: Secure `__Host-` session cookie)
   * believed. Empty (the default): those headers are ignored, the socket's address counts.
   */
  VIREO_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((list) =>
      list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every((a) => isIP(a) !== 0), 'must be IP addresses, comma-separated'),
  /**
   * Bearer token for the Prometheus endpoint `/metrics`. Unset (the default): the endpoint
   * answers 404, so nothing is exposed unless the admin chooses to.
   */
  VIREO_METRICS_TOKEN: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
  /**
   * Where alerts are POSTed (JSON) when they fire and resolve. Unset (the default): alerts are only
   * shown in the UI.
   */
  VIREO_ALERT_WEBHOOK_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  ),
  /** When set, each webhook POST carries `X-Vireo-Signature: sha256=<HMAC-SHA256 of the body>`. */
  VIREO_ALERT_WEBHOOK_SECRET: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  /**
   * This manager's id among several sharing one database. Default `<hostname>:<port>`: stable
   * across restarts, so a restarted manager takes over what its previous run left at once.
   * Must be unique per manager process.
   */
  VIREO_MANAGER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits, ".", "_", ":" or "-", at most 100')
    .optional(),
  /**
   * How the other managers reach this one directly (request routing to the agents it holds,
   * console bridging), e.g. `http://10.0.0.5:3000`. Default `http://127.0.0.1:<port>`.
   */
  VIREO_INTERNAL_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL')
    .optional(),
  /**
   * Shared by every manager of one installation; authenticates manager-to-manager requests
   * (`/internal/...`). Unset (one manager): those endpoints answer 404 and a host held by another
   * manager is reported offline.
   */
  VIREO_CLUSTER_SECRET: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
  /**
   * Where fence agents (fence_ipmilan, fence_redfish, the lab's fence_vireo_lab) are looked up by
   * their bare name, colon-separated absolute dirs (services/ha/fence.ts). Only these dirs: a
   * host's fence device setting can never name an arbitrary program.
   */
  VIREO_FENCE_AGENT_DIRS: z
    .string()
    .default('/usr/sbin:/usr/local/sbin')
    .refine(
      (v) =>
        v
          .split(':')
          .filter(Boolean)
          .every((d) => d.startsWith('/')),
      'must be absolute directories, colon-separated',
    ),
  /**
   * Directory of the `default` storage pool, created once as a cluster pool of the first cluster
   * a host connects from: a directory every host of that cluster sees (a shared filesystem).
   */
  VIREO_DEFAULT_POOL_PATH: normalizedPathSchema.default('/var/lib/vireo/pool-default'),
  /**
   * The largest virtual size an uploaded or imported image may have (GiB); each agent has its own
   * limit too (`imageMaxVirtualGiB`), and the lower one applies.
   */
  VIREO_IMAGE_MAX_VIRTUAL_GIB: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024 * 1024)
    .default(512),
  /** The largest file one upload may send (GiB). */
  VIREO_IMAGE_MAX_UPLOAD_GIB: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024 * 1024)
    .default(512),
  /**
   * An upload still open this many hours after it started is abandoned: its part file is removed
   * on its host and the upload marked failed (hours; fractions allowed).
   */
  VIREO_IMAGE_UPLOAD_ABANDON_H: z.coerce.number().positive().max(8760).default(24),
  /** How often each manager runs the lease sweep (seconds); the cluster leader acts. */
  VIREO_LEASE_TICK_S: z.coerce.number().int().min(1).max(3600).default(60),
  /** How often usage is metered for showback (seconds). */
  VIREO_METER_TICK_S: z.coerce.number().int().min(1).max(3600).default(60),
  /**
   * Test stacks only (scripts/test.sh sets it): a file holding a clock offset in milliseconds,
   * read at every use, that the lease sweep and lease rules add to the real time, so tests can
   * move past an expiry without waiting days. Unset (production): the real clock.
   */
  VIREO_TEST_CLOCK_FILE: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  NODE_ENV: z.string().default('production'),
  /** Single sign-on with OpenID Connect (services/oidc/config.ts, docs/sso.md). */
  ...oidcSchema,
});

const checked = schema.superRefine(oidcRefine);

export type ManagerEnv = z.infer<typeof schema>;

let cached: ManagerEnv | undefined;

/** The config file's settings (an object of VIREO_* names), or {} when there is none. */
function fileSettings(env: NodeJS.ProcessEnv): { file: string | undefined; values: Record<string, unknown> } {
  const file = env.VIREO_CONFIG || (existsSync('/etc/vireo/manager.json') ? '/etc/vireo/manager.json' : undefined);
  if (!file) return { file, values: {} };
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the manager's config file ${file}: ${(err as Error).message}`);
  }
  if (!values || typeof values !== 'object' || Array.isArray(values))
    throw new Error(`The manager's config file ${file} must hold a JSON object of VIREO_* settings.`);
  return { file, values: values as Record<string, unknown> };
}

/** Parses a configuration; exported for tests. @throws Error naming each bad setting */
export function parseManagerEnv(env: NodeJS.ProcessEnv): ManagerEnv {
  const { file, values } = fileSettings(env);
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = checked.safeParse({ ...values, ...set });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid manager configuration${file ? ` (file ${file})` : ''}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function managerEnv(): ManagerEnv {
  cached ??= parseManagerEnv(process.env);
  return cached;
}
