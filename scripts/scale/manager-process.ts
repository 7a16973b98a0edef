/**
 * The manager under test, as a child process of the harness: a fresh database (migrated and
 * seeded by the project's own commands), then apps/web/server.ts (--next) or the headless edge,
 * with manager-probe.ts preloaded for event-loop delay, RSS and CPU once a second.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

export interface ManagerOptions {
  databaseUrl: string;
  port: number;
  dir: string;
  adminPassword: string;
  /** Run apps/web/server.ts (needs a web build) instead of the headless edge. */
  next: boolean;
}

export interface ProbeLine {
  at: number;
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  cpuUserUs: number;
  cpuSystemUs: number;
}

/**
 * SQLite: the file is removed first, so every run starts empty. Any other URL (PostgreSQL) must
 * name an empty database. Migrated by the project's runner (`npm run db:migrate`'s), for both;
 * SCALE_MIGRATE_CMD replaces that command if needed.
 */
export function prepareDatabase(o: ManagerOptions): void {
  const env = { ...process.env, DATABASE_URL: o.databaseUrl };
  if (o.databaseUrl.startsWith('file:')) {
    const file = o.databaseUrl.slice('file:'.length);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  }
  const migrate = process.env.SCALE_MIGRATE_CMD ?? 'node --import tsx packages/db/src/migrate-cli.ts';
  execFileSync('bash', ['-c', migrate], { cwd: REPO, env, stdio: ['ignore', 'ignore', 'inherit'] });
  // A template the fake hosts "clone": paths that exist nowhere (the fake makes no files).
  const image = join(o.dir, 'image.json');
  writeFileSync(
    image,
    JSON.stringify({
      kernel: '/nonexistent/vmlinuz',
      initrd: '/nonexistent/initrd',
      disk: '/nonexistent/disk.qcow2',
      cmdline: 'console=ttyS0',
    }),
  );
  execFileSync('node', ['--import', 'tsx', 'prisma/seed.ts'], {
    cwd: REPO,
    env: { ...env, VIREO_ADMIN_PASSWORD: o.adminPassword, VIREO_TEMPLATE_IMAGE_JSON: image },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

export interface Manager {
  child: ChildProcess;
  url: string;
  probe(): ProbeLine[];
  stop(): Promise<void>;
}

export async function startManager(o: ManagerOptions): Promise<Manager> {
  mkdirSync(o.dir, { recursive: true });
  const probeFile = join(o.dir, 'manager-probe.jsonl');
  rmSync(probeFile, { force: true });
  const entry = o.next ? join(REPO, 'apps/web/server.ts') : join(REPO, 'scripts/scale/headless-manager.ts');
  if (o.next && !existsSync(join(REPO, 'apps/web/.next/BUILD_ID')))
    throw new Error('--next needs a web build (npx turbo run build --filter=@vireo/web)');
  const { openSync } = await import('node:fs');
  const log = openSync(join(o.dir, 'manager.log'), 'w');
  // e.g. SCALE_MANAGER_NODE_ARGS="--cpu-prof --cpu-prof-dir=var/scale/prof" profiles the manager.
  const nodeArgs = process.env.SCALE_MANAGER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const probe = join(REPO, 'scripts/scale/manager-probe.ts');
  const child = spawn('node', [...nodeArgs, '--import', 'tsx', '--import', probe, entry], {
    cwd: o.next ? join(REPO, 'apps/web') : REPO,
    env: {
      ...process.env,
      DATABASE_URL: o.databaseUrl,
      VIREO_PORT: String(o.port),
      VIREO_LISTEN: '127.0.0.1',
      SCALE_PROBE_FILE: probeFile,
      NODE_ENV: 'production',
    },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the manager exited (${child.exitCode}); see ${o.dir}/manager.log`);
    const ok = await fetch(`${url}/api/trpc/auth.me`).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the manager did not answer within 60 s; see ${o.dir}/manager.log`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    url,
    probe: () =>
      existsSync(probeFile)
        ? readFileSync(probeFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as ProbeLine)
        : [],
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
