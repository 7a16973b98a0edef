// Each test file gets its own database, migrated with the real migrations by the real runner
// (`npm run db:migrate`, the path production takes): a SQLite file by default, or with
// VIREO_TEST_DATABASE=postgres a fresh PostgreSQL database on VIREO_TEST_POSTGRES_URL (a server
// URL whose role may create databases; default: the local server over its socket, as this user).
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatabaseProvider, withDatabaseName } from '../src/database-url.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const prismaSh = path.join(repoRoot, 'scripts', 'prisma.sh');
const migrateCli = path.join(repoRoot, 'packages', 'db', 'src', 'migrate-cli.ts');

export const testProvider: DatabaseProvider = process.env.VIREO_TEST_DATABASE === 'postgres' ? 'postgresql' : 'sqlite';

export const postgresServerUrl =
  process.env.VIREO_TEST_POSTGRES_URL ||
  `postgresql://${userInfo().username}@localhost/postgres?host=/var/run/postgresql`;

/** psql against the server URL; throws with psql's message on error. */
export function psql(sql: string, url = postgresServerUrl): string {
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8', stdio: 'pipe' });
}

/** An empty database of the chosen kind (not migrated). */
export function emptyTempDb(provider: DatabaseProvider = testProvider): { url: string; cleanup: () => void } {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'vireo-db-test-'));
    return { url: `file:${path.join(dir, 'test.db')}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `vireo_test_${randomBytes(6).toString('hex')}`;
  // C collation: names sort by code point, as on SQLite.
  psql(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  return {
    url: withDatabaseName(postgresServerUrl, name),
    cleanup: () => dropDatabase(name),
  };
}

/**
 * DROP ... WITH (FORCE) terminates the database's other sessions, and an autovacuum worker that
 * a test's many writes woke (it runs as the bootstrap superuser) may only be terminated by a
 * role with pg_signal_backend: the drop then fails. The worker is done within moments: retry.
 */
function dropDatabase(name: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      return;
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '');
      if (attempt >= 20 || !/pg_signal_backend|being accessed by other users/.test(stderr)) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
}

/** Runs the migration CLI on `url`; returns its output. */
export function runMigrate(url: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', migrateCli], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: url },
    encoding: 'utf8',
    stdio: 'pipe',
  });
}

export function migratedTempDb(provider: DatabaseProvider = testProvider): { url: string; cleanup: () => void } {
  const db = emptyTempDb(provider);
  const generated = path.join(repoRoot, 'packages/db/src', provider === 'sqlite' ? 'generated' : 'generated-pg');
  if (!existsSync(path.join(generated, 'client.ts'))) {
    execFileSync(prismaSh, ['generate'], { stdio: 'pipe' });
  }
  runMigrate(db.url);
  return db;
}

/** Migrates a temp DB, points DATABASE_URL at it, then loads the package. */
export async function setupTestDb() {
  const { url, cleanup } = migratedTempDb();
  process.env.DATABASE_URL = url;
  // Imported only now: the generated client may not have existed at load time.
  const db = await import('../src/index.ts');
  return {
    db,
    url,
    async teardown() {
      await db.closeDb();
      cleanup();
    },
  };
}

type TestDb = Awaited<ReturnType<typeof setupTestDb>>['db'];

/** A host in the cluster as an agent's first connection records it (2 CPUs, 4 GiB). */
export function testHost(db: TestDb, hostname: string, clusterId: string) {
  return db.hosts.upsertOnConnect({
    libvirtHostUuid: randomUUID(),
    hostname,
    cpuCount: 2,
    cpuModel: 'Fake',
    memoryBytes: 4 * 1024 ** 3,
    memoryFreeBytes: 2 * 1024 ** 3,
    libvirtVersion: '9.0.0',
    qemuVersion: '7.2.0',
    domainTypes: ['qemu'],
    clusterId,
  });
}

/** A kernel template with placeholder paths (nothing reads the files in database tests). */
export function testTemplate(db: TestDb, name: string) {
  return db.templates.upsert({
    name,
    description: '',
    kernelPath: '/k',
    initrdPath: '/i',
    diskPath: '/d.qcow2',
    cmdline: '',
    defaultVcpus: 1,
    defaultMemoryMiB: 128,
  });
}

/** A small VM record (1 vCPU, 64 MiB) on a host, from a template, owned by a user. */
export function testVm(db: TestDb, name: string, on: { hostId: string; templateId: string; ownerId: string }) {
  return db.vms.create({ uuid: randomUUID(), name, ...on, vcpus: 1, memoryMiB: 64 });
}
