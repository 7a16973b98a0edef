// The one PrismaClient of the process: SQLite through better-sqlite3 or PostgreSQL through
// node-postgres, chosen by DATABASE_URL (no native Prisma engine either way).
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { type DatabaseProvider, databaseProvider, databaseUrl } from './database-url.ts';
import { type Prisma, PrismaClient } from './generated/client.ts';
import { PrismaClient as PgPrismaClient } from './generated-pg/client.ts';

export { defaultDatabaseUrl } from './database-url.ts';

/** How long a connection waits on another process's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

// WAL lets the manager and tests read while another process writes;
// synchronous=NORMAL is the usual durability/speed trade-off under WAL.
// better-sqlite3 already defaults to foreign_keys=ON; stated here so that
// SetNull/Restrict in the schema never depend on a build flag.
const CONNECTION_PRAGMAS = `
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = NORMAL;
  PRAGMA foreign_keys = ON;
  PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};
`;

function sqliteAdapter(url: string): PrismaBetterSQLite3 {
  const factory = new PrismaBetterSQLite3({ url, timeout: BUSY_TIMEOUT_MS });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    await adapter.executeScript(CONNECTION_PRAGMAS);
    return adapter;
  };
  return factory;
}

/**
 * The client type every repository uses. The PostgreSQL client is generated from the same
 * schema with another provider, so its API is this one (plus PostgreSQL-only options such as
 * `mode: 'insensitive'`, which we keep out of the code to stay portable).
 */
export type DbClient = PrismaClient;

let client: DbClient | undefined;
let provider: DatabaseProvider = 'sqlite';

function open(url: string): DbClient {
  provider = databaseProvider(url);
  if (provider === 'sqlite') return new PrismaClient({ adapter: sqliteAdapter(url) });
  return new PgPrismaClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as DbClient;
}

/** The process-wide client; DATABASE_URL is read on first use. */
export function getDb(): DbClient {
  client ??= open(databaseUrl());
  return client;
}

/** Disconnects; a later getDb() opens a fresh client (tests, graceful shutdown). */
export async function closeDb(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.$disconnect();
}

/** Critical sections that must not run side by side, whichever manager runs them. */
export type ExclusiveSection = 'users' | 'enrollment';

/**
 * A read-check-write transaction (e.g. "is this the last admin?" then disable) that behaves alike
 * on both databases. SQLite runs one transaction at a time (the adapter serialises them), so the
 * check cannot be overtaken. PostgreSQL's READ COMMITTED would let two such transactions both
 * pass their checks; a transaction-scoped advisory lock per section makes them queue instead.
 * (SERIALIZABLE with retries was tried first: a conflict detected at COMMIT left
 * @prisma/adapter-pg 6.19.3 with a pool connection that was never released.)
 */
export async function exclusive<T>(
  section: ExclusiveSection,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  const db = getDb();
  return db.$transaction(async (tx) => {
    if (provider === 'postgresql') await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`vireo.${section}`}))`;
    return fn(tx);
  });
}
