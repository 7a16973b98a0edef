/**
 * The agent's one config module: defaults → JSON file (VIREO_AGENT_CONFIG, else
 * /etc/vireo/agent.json when it exists) → environment. The only reader of environment variables.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * FOR TESTS ONLY. Points inside create and delete where an agent started with
 * VIREO_AGENT_FAULT=<point> kills itself with SIGKILL, so lab tests can prove that a restarted
 * agent finishes or rolls back what it was doing; `delete:slow-after-undefine` instead waits
 * 8 s there (slow storage), so a test can make the manager give up waiting. Never set it on a
 * real host.
 */
export const FAULT_POINTS = [
  'create:after-overlay',
  'create:after-define',
  // vm.create with pool volumes (a clone's copies): killed once a volume is made, before define.
  'create:after-volume',
  'delete:after-undefine',
  'delete:after-files',
  'delete:slow-after-undefine',
  // Volume requests: killed once libvirt has made the volume (before the reply), and while
  // libvirtd copies a volume in full (volume.clone mode full, which template.fromVm uses too).
  'volume:after-make',
  'volume:during-copy',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

function isHttpUrl(u: string): boolean {
  try {
    return /^https?:$/.test(new URL(u).protocol);
  } catch {
    return false;
  }
}

/** The manager URLs of a `managerUrl` setting (one, or several comma-separated). */
export function managerUrls(setting: string): string[] {
  return setting
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

export const configSchema = z.object({
  /**
   * http(s) base URL of the manager; the WebSocket URL is derived from it. Several managers
   * sharing one database: their URLs, comma-separated; the agent connects to one and moves to
   * the next when that one goes away.
   */
  managerUrl: z
    .string()
    .max(4000)
    .refine(
      (list) => managerUrls(list).length > 0 && managerUrls(list).every(isHttpUrl),
      'must be http:// or https:// URLs, comma-separated',
    ),
  /** One-time token for the first enrollment; unused once STATE_DIR/credential.json exists. */
  enrollmentToken: z.string().min(16).max(128).optional(),
  stateDir: z.string().regex(/^\//, 'must be an absolute path'),
  vmStorageDir: z.string().regex(/^\//, 'must be an absolute path'),
  statsIntervalMs: z.number().int().min(1000).max(3_600_000),
  /**
   * How often the agent checks that the manager still sees what libvirt has: whether libvirtd was
   * restarted (its pid and start time) and whether libvirt's domains, states and the figures of
   * shut-off domains equal what was last reported (three bulk libvirt calls). Any difference →
   * full state resent. Also the longest a change libvirt emits no event for (`virsh setmem
   * --config`) stays unseen.
   */
  libvirtWatchIntervalMs: z.number().int().min(500).max(600_000),
  /**
   * How often the agent retries the journal entries it could not settle yet (a file of a deleted
   * VM that would not go, an operation whose outcome libvirt could not tell). Settling also runs
   * at start-up and before every full state; runs never overlap.
   */
  journalSettleIntervalMs: z.number().int().min(1000).max(3_600_000),
  /** libvirt-dbus driver object: QEMU (qemu:///system) or Test (test:///default). */
  libvirtDriver: z.string().regex(/^[A-Za-z]+$/),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']),
  logFormat: z.enum(['json', 'plain']),
  /**
   * The largest virtual size an uploaded or imported image may have, in GiB. The manager has its
   * own limit (VIREO_IMAGE_MAX_VIRTUAL_GIB); the lower of the two applies.
   */
  imageMaxVirtualGiB: z
    .number()
    .int()
    .min(1)
    .max(1024 * 1024)
    .optional(),
  /**
   * Directories `image.import` may copy from (absolute; env: comma-separated). A path outside
   * them is refused, so the console cannot read arbitrary files of the host.
   */
  imageImportDirs: z.array(z.string().regex(/^\//, 'must be absolute paths')).max(32).optional(),
  /**
   * How this host's libvirtd reaches another host's for a live migration (qemu+<transport>://):
   * tls in production; the lab's libvirtds listen on plain tcp without auth (lab only).
   */
  migrationTransport: z.enum(['tls', 'tcp', 'ssh']),
  /** Tests only (VIREO_AGENT_FAULT): see FAULT_POINTS. */
  faultPoint: z.enum(FAULT_POINTS).optional(),
});
export type AgentConfig = z.infer<typeof configSchema>;

const DEFAULTS: AgentConfig = {
  managerUrl: 'http://127.0.0.1:3000',
  stateDir: '/var/lib/vireo-agent',
  vmStorageDir: '/var/lib/vireo/vms',
  statsIntervalMs: 15_000,
  libvirtWatchIntervalMs: 3_000,
  journalSettleIntervalMs: 60_000,
  libvirtDriver: 'QEMU',
  logLevel: 'info',
  logFormat: 'json',
  imageMaxVirtualGiB: 512,
  imageImportDirs: ['/var/lib/vireo/import'],
  migrationTransport: 'tls',
};

export class ConfigError extends Error {}

const ENV: Record<string, keyof AgentConfig> = {
  VIREO_MANAGER_URL: 'managerUrl',
  VIREO_ENROLLMENT_TOKEN: 'enrollmentToken',
  VIREO_AGENT_STATE_DIR: 'stateDir',
  VIREO_VM_STORAGE_DIR: 'vmStorageDir',
  VIREO_STATS_INTERVAL_MS: 'statsIntervalMs',
  VIREO_LIBVIRT_WATCH_INTERVAL_MS: 'libvirtWatchIntervalMs',
  VIREO_JOURNAL_SETTLE_INTERVAL_MS: 'journalSettleIntervalMs',
  VIREO_LIBVIRT_DRIVER: 'libvirtDriver',
  VIREO_LOG_LEVEL: 'logLevel',
  VIREO_LOG_FORMAT: 'logFormat',
  VIREO_AGENT_FAULT: 'faultPoint',
  VIREO_IMAGE_MAX_VIRTUAL_GIB: 'imageMaxVirtualGiB',
  VIREO_IMAGE_IMPORT_DIRS: 'imageImportDirs',
  VIREO_MIGRATION_TRANSPORT: 'migrationTransport',
};

const NUMERIC: ReadonlySet<keyof AgentConfig> = new Set([
  'statsIntervalMs',
  'libvirtWatchIntervalMs',
  'journalSettleIntervalMs',
  'imageMaxVirtualGiB',
]);
const LISTS: ReadonlySet<keyof AgentConfig> = new Set(['imageImportDirs']);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const file = env.VIREO_AGENT_CONFIG ?? (existsSync('/etc/vireo/agent.json') ? '/etc/vireo/agent.json' : undefined);
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`Cannot read the config file ${file}: ${(err as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    fromEnv[key] = NUMERIC.has(key)
      ? Number(v)
      : LISTS.has(key)
        ? v
            .split(',')
            .map((d) => d.trim())
            .filter(Boolean)
        : v;
  }
  const parsed = configSchema.strict().safeParse({ ...DEFAULTS, ...fromFile, ...fromEnv });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const field = i.path.join('.') || '(root)';
      const envName = Object.entries(ENV).find(([, k]) => k === field)?.[0];
      return `${field}${envName ? ` (${envName})` : ''}: ${i.message}`;
    });
    throw new ConfigError(`Invalid agent config${file ? ` (file ${file})` : ''}:\n  ${issues.join('\n  ')}`);
  }
  return parsed.data;
}
