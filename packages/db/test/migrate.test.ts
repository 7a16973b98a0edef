// The migration runner (packages/db/src/migrate.ts) on the database the run chose
// (VIREO_TEST_DATABASE), plus its compatibility with Prisma's own tooling on SQLite.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { databaseProvider, migrationsDir, sqlitePath } from '../src/database-url.ts';
import { MigrationError, migrate } from '../src/migrate.ts';
import { emptyTempDb, repoRoot, runMigrate, testProvider } from './helpers.ts';

const prismaSh = path.join(repoRoot, 'scripts', 'prisma.sh');
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function freshDb(provider = testProvider): string {
  const db = emptyTempDb(provider);
  cleanups.push(db.cleanup);
  return db.url;
}

/** Rows of a query on either database. */
async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  if (databaseProvider(url) === 'sqlite') {
    const db = new Database(sqlitePath(url));
    try {
      const statement = db.prepare(sql);
      if (!statement.reader) {
        statement.run();
        return [];
      }
      return statement.all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

const records = (url: string) =>
  query(
    url,
    `SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count, logs
     FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
  );

/** A copy of the committed migrations of the provider, to change in a test. */
function migrationsCopy(provider = testProvider): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-migrations-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(migrationsDir(provider), dir, { recursive: true });
  return dir;
}

function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, 'migration.sql'), sql);
}

const folders = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

test('every migration exists for SQLite and for PostgreSQL, under the same folder name', () => {
  const sqlite = folders(migrationsDir('sqlite'));
  const postgres = folders(migrationsDir('postgresql'));
  assert.ok(sqlite.length >= 3);
  assert.deepEqual(postgres, sqlite, 'prisma/migrations and prisma/migrations-postgresql differ');
  for (const provider of ['sqlite', 'postgresql'] as const) {
    for (const name of sqlite) {
      const file = path.join(migrationsDir(provider), name, 'migration.sql');
      assert.ok(existsSync(file) && readFileSync(file, 'utf8').trim().length > 0, `${file} missing or empty`);
    }
  }
});

describe(`the runner on ${testProvider}`, () => {
  test('applies every migration once, in order, recorded as Prisma records them', async () => {
    const url = freshDb();
    const first = runMigrate(url);
    const names = folders(migrationsDir(testProvider));
    assert.match(first, new RegExp(`${names.length} migration\\(s\\) applied, 0 already applied`));
    const rows = await records(url);
    assert.deepEqual(
      rows.map((r) => r.migration_name),
      names,
    );
    for (const row of rows) {
      const file = readFileSync(path.join(migrationsDir(testProvider), String(row.migration_name), 'migration.sql'));
      assert.equal(row.checksum, createHash('sha256').update(file).digest('hex'));
      assert.ok(row.finished_at);
      assert.equal(row.rolled_back_at, null);
      assert.equal(Number(row.applied_steps_count), 1);
    }
    assert.match(runMigrate(url), new RegExp(`0 migration\\(s\\) applied, ${names.length} already applied`));
    assert.equal((await records(url)).length, names.length);
  });

  test('refuses when an applied migration file changed since', async () => {
    const url = freshDb();
    const dir = migrationsCopy();
    await migrate({ url, dir });
    const [last] = folders(dir).slice(-1);
    assert.ok(last);
    writeFileSync(
      path.join(dir, last, 'migration.sql'),
      `${readFileSync(path.join(dir, last, 'migration.sql'))}\n-- edited\n`,
    );
    await assert.rejects(migrate({ url, dir }), (err) => {
      assert.ok(MigrationError.is(err, 'MIGRATION_CHECKSUM_MISMATCH'));
      assert.equal(err.migration, last);
      return true;
    });
  });

  test('a failing migration is rolled back whole, recorded, and applied once fixed', async () => {
    const url = freshDb();
    const dir = migrationsCopy();
    await migrate({ url, dir });
    const name = '29991231000000_broken';
    addMigration(dir, name, 'CREATE TABLE "Half" ("id" INTEGER);\nINSERT INTO "NoSuchTable" VALUES (1);\n');
    await assert.rejects(migrate({ url, dir }), (err) => MigrationError.is(err, 'MIGRATION_FAILED'));
    const row = (await records(url)).find((r) => r.migration_name === name);
    assert.ok(row?.rolled_back_at, 'the failed attempt is recorded as rolled back');
    assert.equal(row?.finished_at, null);
    assert.match(String(row?.logs), /NoSuchTable/i);
    // Nothing of the first statement survived.
    const half =
      testProvider === 'sqlite'
        ? await query(url, `SELECT name FROM sqlite_master WHERE name = 'Half'`)
        : await query(url, `SELECT tablename FROM pg_tables WHERE tablename = 'Half'`);
    assert.equal(half.length, 0);
    addMigration(dir, name, 'CREATE TABLE "Half" ("id" INTEGER);\n');
    assert.deepEqual((await migrate({ url, dir })).applied, [name]);
  });

  test('refuses while a migration that failed earlier is not resolved', async () => {
    const url = freshDb();
    await migrate({ url });
    // What `prisma migrate deploy` leaves after a failure: started, never finished, not rolled back.
    await query(
      url,
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ('00000000-0000-4000-8000-000000000001', 'x', '29991231000000_crashed', CURRENT_TIMESTAMP, 0)`,
    );
    await assert.rejects(migrate({ url }), (err) => {
      assert.ok(MigrationError.is(err, 'MIGRATION_FAILED_EARLIER'));
      assert.equal(err.migration, '29991231000000_crashed');
      return true;
    });
  });

  test('two migrators at once: both succeed and each migration is applied once', async () => {
    const url = freshDb();
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'packages/db/src/migrate-cli.ts'], {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: url },
      });
    const outputs = await Promise.all([run(), run()]);
    const applied = outputs.map((o) => Number(/(\d+) migration\(s\) applied/.exec(o.stdout)?.[1]));
    const names = folders(migrationsDir(testProvider));
    assert.equal(applied[0]! + applied[1]!, names.length, 'together they applied each migration exactly once');
    const rows = await records(url);
    assert.deepEqual(rows.map((r) => r.migration_name).sort(), names);
  });

  test('the migrations yield exactly the Prisma schema (no drift)', () => {
    // Prisma replays the committed SQL on a scratch database and compares it with the schema.
    const args =
      testProvider === 'sqlite'
        ? [
            'migrate',
            'diff',
            '--from-migrations',
            'prisma/migrations',
            '--to-schema-datamodel',
            'prisma/schema.prisma',
            '--exit-code',
          ]
        : ['drift-check'];
    const env = { ...process.env, DATABASE_URL: testProvider === 'sqlite' ? freshDb('sqlite') : freshDb() };
    const out = execFileSync(prismaSh, args, { cwd: repoRoot, env, encoding: 'utf8', stdio: 'pipe' });
    assert.match(out, /No difference detected/);
  });
});

describe('SQLite: at home with Prisma tooling', () => {
  test('a database migrated by `prisma migrate deploy` is recognised; `migrate status` reads ours', () => {
    const deployed = freshDb('sqlite');
    execFileSync(prismaSh, ['migrate', 'deploy'], { env: { ...process.env, DATABASE_URL: deployed }, stdio: 'pipe' });
    assert.match(runMigrate(deployed), /0 migration\(s\) applied/);
    const ours = freshDb('sqlite');
    runMigrate(ours);
    const status = execFileSync(prismaSh, ['migrate', 'status'], {
      env: { ...process.env, DATABASE_URL: ours },
      encoding: 'utf8',
      stdio: 'pipe',
    });
    assert.match(status, /Database schema is up to date/);
  });

  test('a table rebuild does not fire ON DELETE actions on child rows', async () => {
    const url = freshDb('sqlite');
    const dir = mkdtempSync(path.join(tmpdir(), 'vireo-migrations-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    addMigration(
      dir,
      '20000101000000_parent_child',
      `CREATE TABLE "P" ("id" INTEGER PRIMARY KEY);
       CREATE TABLE "C" ("id" INTEGER PRIMARY KEY, "p" INTEGER REFERENCES "P" ("id") ON DELETE CASCADE);
       INSERT INTO "P" VALUES (1); INSERT INTO "C" VALUES (10, 1);`,
    );
    // The shape of Prisma's SQLite "redefine table" migration.
    addMigration(
      dir,
      '20000102000000_rebuild_parent',
      `PRAGMA defer_foreign_keys=ON; PRAGMA foreign_keys=OFF;
       CREATE TABLE "new_P" ("id" INTEGER PRIMARY KEY, "label" TEXT NOT NULL DEFAULT '');
       INSERT INTO "new_P" ("id") SELECT "id" FROM "P"; DROP TABLE "P"; ALTER TABLE "new_P" RENAME TO "P";
       PRAGMA foreign_keys=ON; PRAGMA defer_foreign_keys=OFF;`,
    );
    await migrate({ url, dir });
    assert.deepEqual(await query(url, 'SELECT id, p FROM "C"'), [{ id: 10, p: 1 }]);
  });
});
