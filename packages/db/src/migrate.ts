// Our migration runner: applies the committed migration.sql files in order, each in its own
// transaction, and records them in Prisma's `_prisma_migrations` table (same columns, sha256
// checksums, ISO times), so a database migrated by `prisma migrate deploy` is recognised and
// `prisma migrate status` keeps working on SQLite.
//
// Why not `prisma migrate deploy`: offline, Prisma 6.19 runs its schema engine in JS through the
// driver adapter, and on PostgreSQL that fails introspecting the catalog ("Column type 'name'
// could not be deserialized"). prisma.config.ts now works around that for `migrate diff/status`,
// but the runner stays: deploy runs each file outside a transaction (a failure can leave half a
// file applied) and needs the whole Prisma CLI; this is ~300 lines, one path for both databases.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type DatabaseProvider, databaseProvider, migrationsDir, sqlitePath } from './database-url.ts';

export type MigrationErrorCode =
  /** An applied migration's file changed since (checksum differs). */
  | 'MIGRATION_CHECKSUM_MISMATCH'
  /** A migration failed earlier and is recorded as neither finished nor rolled back. */
  | 'MIGRATION_FAILED_EARLIER'
  /** A migration's SQL failed now; its transaction was rolled back. */
  | 'MIGRATION_FAILED';

export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    readonly migration: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }

  static is(err: unknown, code?: MigrationErrorCode): err is MigrationError {
    return err instanceof MigrationError && (code === undefined || err.code === code);
  }
}

export type MigrationFile = { name: string; sql: string; checksum: string };

/** A `_prisma_migrations` row as both drivers return it. */
type AppliedRow = {
  migration_name: string;
  checksum: string;
  finished: boolean;
  rolled_back: boolean;
  started_at: string;
  logs: string | null;
};

type NewRow = {
  name: string;
  checksum: string;
  startedAt: Date;
  finishedAt: Date | null;
  rolledBackAt: Date | null;
  logs: string | null;
  steps: number;
};

/** One transaction holding the migration lock. */
type Tx = {
  rows(): Promise<AppliedRow[]>;
  run(script: string): Promise<void>;
  record(row: NewRow): Promise<void>;
};

type Driver = {
  /** Runs fn in one transaction that no other migrator can overlap. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Records a row in its own transaction (a failed attempt, after its rollback). */
  record(row: NewRow): Promise<void>;
  close(): Promise<void>;
};

/** The folders of `dir` that hold a migration.sql, in name (= time) order. */
export function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(dir, name, 'migration.sql'));
      // Prisma's checksum: sha256 (hex) of the file's bytes.
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

export type MigrateResult = { provider: DatabaseProvider; applied: string[]; alreadyApplied: number };

export type MigrateOptions = {
  url: string;
  /** Defaults to the provider's committed migrations. */
  dir?: string;
  log?: (line: string) => void;
};

/** Applies every pending migration. @throws MigrationError */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const provider = databaseProvider(options.url);
  const files = readMigrations(options.dir ?? migrationsDir(provider));
  const log = options.log ?? (() => {});
  const driver = provider === 'sqlite' ? await openSqlite(options.url) : await openPostgres(options.url);
  const applied: string[] = [];
  let alreadyApplied = 0;
  try {
    for (const file of files) {
      const done = await applyOne(driver, files, file);
      if (done) {
        applied.push(file.name);
        log(`applied ${file.name}`);
      } else alreadyApplied++;
    }
  } finally {
    await driver.close();
  }
  return { provider, applied, alreadyApplied };
}

/** Applies one migration unless it is applied already; false when it was. */
async function applyOne(driver: Driver, files: MigrationFile[], file: MigrationFile): Promise<boolean> {
  const startedAt = new Date();
  try {
    // The check runs inside the same locked transaction as the apply: another manager starting
    // at the same moment either applied it before we got the lock (we see its row) or waits.
    return await driver.transaction(async (tx) => {
      const rows = await tx.rows();
      refuseBroken(rows, files);
      if (rows.some((r) => r.migration_name === file.name && r.finished && !r.rolled_back)) return false;
      await tx.run(file.sql);
      await tx.record({ ...base(file, startedAt), finishedAt: new Date(), steps: 1 });
      return true;
    });
  } catch (err) {
    if (MigrationError.is(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    // The transaction rolled back, so the database is as before: recorded as rolled back (as
    // `prisma migrate resolve --rolled-back` would), it is retried once the file is fixed.
    const now = new Date();
    await driver.record({ ...base(file, startedAt), finishedAt: null, rolledBackAt: now, logs: message, steps: 0 });
    throw new MigrationError(
      'MIGRATION_FAILED',
      file.name,
      `Migration ${file.name} failed and was rolled back: ${message}`,
      {
        cause: err,
      },
    );
  }
}

function base(file: MigrationFile, startedAt: Date): NewRow {
  return {
    name: file.name,
    checksum: file.checksum,
    startedAt,
    finishedAt: null,
    rolledBackAt: null,
    logs: null,
    steps: 0,
  };
}

function refuseBroken(rows: AppliedRow[], files: MigrationFile[]): void {
  const failed = rows.find((r) => !r.finished && !r.rolled_back);
  if (failed) {
    throw new MigrationError(
      'MIGRATION_FAILED_EARLIER',
      failed.migration_name,
      `Migration ${failed.migration_name} failed earlier (started ${failed.started_at}) and may have left the ` +
        `database half-changed${failed.logs ? `: ${failed.logs}` : ''}. Repair the database, then mark the row ` +
        `rolled back (scripts/prisma.sh migrate resolve --rolled-back NAME) before migrating again.`,
    );
  }
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const row of rows) {
    const file = byName.get(row.migration_name);
    if (!file || !row.finished || row.rolled_back || row.checksum === file.checksum) continue;
    throw new MigrationError(
      'MIGRATION_CHECKSUM_MISMATCH',
      row.migration_name,
      `Migration ${row.migration_name} was applied from a different file (checksum ${row.checksum}, file has ` +
        `${file.checksum}). Applied migrations must not change; put the change in a new migration.`,
    );
  }
}

// ---- SQLite (better-sqlite3) ---------------------------------------------------------------

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

/** Prisma writes `2026-12-01T13:01:23.162+00:00` in SQLite. */
const sqliteTime = (d: Date | null) => (d ? d.toISOString().replace('Z', '+00:00') : null);

async function openSqlite(url: string): Promise<Driver> {
  const { default: Database } = await import('better-sqlite3');
  const file = sqlitePath(url);
  mkdirSync(path.dirname(file), { recursive: true });
  // A long busy timeout: another manager may be migrating, and we wait for its lock.
  const db = new Database(file, { timeout: 60_000 });
  db.pragma('journal_mode = WAL');
  // Off on this connection (it cannot change inside a transaction): a migration that rebuilds a
  // table (Prisma's "PRAGMA foreign_keys=OFF; CREATE new_X; INSERT; DROP X; RENAME") would
  // otherwise fire ON DELETE CASCADE/SET NULL on the DROP and wipe child rows. Integrity is
  // checked with foreign_key_check before each commit instead.
  db.pragma('foreign_keys = OFF');
  const insert = (row: NewRow) =>
    db
      .prepare(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        randomUUID(),
        row.checksum,
        sqliteTime(row.finishedAt),
        row.name,
        row.logs,
        sqliteTime(row.rolledBackAt),
        sqliteTime(row.startedAt),
        row.steps,
      );
  const tx: Tx = {
    async rows() {
      return (
        db
          .prepare(
            `SELECT migration_name, checksum, finished_at, rolled_back_at, started_at, logs FROM "_prisma_migrations"`,
          )
          .all() as {
          migration_name: string;
          checksum: string;
          finished_at: string | null;
          rolled_back_at: string | null;
          started_at: string;
          logs: string | null;
        }[]
      ).map((r) => ({ ...r, finished: r.finished_at !== null, rolled_back: r.rolled_back_at !== null }));
    },
    async run(script) {
      db.exec(script);
      const broken = db.prepare('PRAGMA foreign_key_check').all() as { table: string; parent: string }[];
      if (broken.length > 0) {
        const first = broken[0];
        throw new Error(
          `foreign key check failed: ${broken.length} row(s), e.g. in ${first?.table} → ${first?.parent}`,
        );
      }
    },
    async record(row) {
      insert(row);
    },
  };
  return {
    async transaction(fn) {
      // IMMEDIATE takes the write lock at BEGIN: the whole check-then-apply is one critical
      // section across processes (a deferred BEGIN would let two readers race to write).
      db.exec('BEGIN IMMEDIATE');
      try {
        db.exec(SQLITE_TABLE);
        const result = await fn(tx);
        db.exec('COMMIT');
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
    async record(row) {
      db.exec('BEGIN IMMEDIATE');
      db.exec(SQLITE_TABLE);
      insert(row);
      db.exec('COMMIT');
    },
    async close() {
      db.close();
    },
  };
}

// ---- PostgreSQL (node-postgres) ------------------------------------------------------------

const PG_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Key of the session-level advisory lock every Vireo migrator takes ("vireo" in ASCII, with 1). */
export const PG_MIGRATION_LOCK_KEY = 0x7669_7265_6f01;

async function openPostgres(url: string): Promise<Driver> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Held for the whole run (a session lock on this one connection): a second manager starting
  // at the same time waits here, then finds everything applied. CREATE TABLE IF NOT EXISTS is
  // not safe against a concurrent creator in PostgreSQL, so the table is made under the lock too.
  await client.query('SELECT pg_advisory_lock($1)', [PG_MIGRATION_LOCK_KEY]);
  await client.query(PG_TABLE);
  const insert = (row: NewRow) =>
    client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [randomUUID(), row.checksum, row.finishedAt, row.name, row.logs, row.rolledBackAt, row.startedAt, row.steps],
    );
  const tx: Tx = {
    async rows() {
      const { rows } = await client.query<{
        migration_name: string;
        checksum: string;
        finished_at: Date | null;
        rolled_back_at: Date | null;
        started_at: Date;
        logs: string | null;
      }>(`SELECT migration_name, checksum, finished_at, rolled_back_at, started_at, logs FROM "_prisma_migrations"`);
      return rows.map((r) => ({
        migration_name: r.migration_name,
        checksum: r.checksum,
        finished: r.finished_at !== null,
        rolled_back: r.rolled_back_at !== null,
        started_at: r.started_at.toISOString(),
        logs: r.logs,
      }));
    },
    async run(script) {
      // No parameters: the simple query protocol, which takes a multi-statement script.
      await client.query(script);
    },
    async record(row) {
      await insert(row);
    },
  };
  return {
    async transaction(fn) {
      await client.query('BEGIN');
      try {
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    },
    async record(row) {
      await insert(row);
    },
    async close() {
      await client.end();
    },
  };
}
