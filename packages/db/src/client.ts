// The one PrismaClient of the process, over better-sqlite3 (no native Prisma engine).
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { databaseUrl } from './database-url.ts';
import { PrismaClient } from './generated/client.ts';

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

function adapterFor(url: string): PrismaBetterSQLite3 {
  const factory = new PrismaBetterSQLite3({ url, timeout: BUSY_TIMEOUT_MS });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    await adapter.executeScript(CONNECTION_PRAGMAS);
    return adapter;
  };
  return factory;
}

export type DbClient = PrismaClient;

let client: PrismaClient | undefined;

/** The process-wide client; DATABASE_URL is read on first use. */
export function getDb(): PrismaClient {
  client ??= new PrismaClient({
    adapter: adapterFor(databaseUrl()),
  });
  return client;
}

/** Disconnects; a later getDb() opens a fresh client (tests, graceful shutdown). */
export async function closeDb(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.$disconnect();
}
