// Prisma CLI configuration (Prisma 6.19, fully offline).
// engine "js" runs the schema engine in JS through the better-sqlite3 driver
// adapter, so `migrate`/`generate` never download a native engine.
// Run the CLI through scripts/prisma.sh, which also sets DATABASE_URL.
// A postgresql:// DATABASE_URL switches the CLI to the PostgreSQL schema (derived from
// prisma/schema.prisma by scripts/prisma.sh generate), prisma/migrations-postgresql and the pg
// adapter. Migrations are applied by our runner (npm run db:migrate), not by `migrate deploy`.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { defineConfig } from 'prisma/config';
import { databaseProvider, databaseUrl, migrationsDir } from './packages/db/src/database-url.ts';

const repo = path.dirname(fileURLToPath(import.meta.url));
const url = databaseUrl();
const provider = databaseProvider(url);

type Factory = PrismaBetterSQLite3;
type Adapter = Awaited<ReturnType<Factory['connectToShadowDb']>>;

// Workaround (Prisma 6.19.3 + @prisma/adapter-better-sqlite3 6.19.3):
// `migrate diff --from-migrations` replays each migration.sql on the shadow
// database through executeRaw(), which calls better-sqlite3's prepare(); that
// rejects multi-statement SQL ("The supplied SQL string contains more than one
// statement") and the CLI reports only "P3006 ... External error id#0".
// Parameterless raw SQL is routed to executeScript() (better-sqlite3 exec()). The PostgreSQL
// shadow database gets the same treatment (executeScript is pg's simple query protocol).
function scriptTolerant<A extends Adapter>(adapter: A): A {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      if (prop === 'executeRaw') {
        return async (query: Parameters<Adapter['executeRaw']>[0]) => {
          if (query.args.length > 0) return target.executeRaw(query);
          await target.executeScript(query.sql);
          return 0;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function cliAdapter(): Factory {
  const inner = new PrismaBetterSQLite3({ url });
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'connectToShadowDb') {
        return async () => scriptTolerant(await target.connectToShadowDb());
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// Workaround (Prisma 6.19.3 schema engine in JS + @prisma/adapter-pg 6.19.3): describing a
// PostgreSQL database reads catalog columns of PostgreSQL's internal types `name` and `"char"`,
// which the adapter refuses ("Column type 'name' could not be deserialized", the reason `migrate
// deploy` fails here). node-postgres already returns both as strings; this client labels them
// text so the adapter accepts them. Only the CLI uses it, never the manager.
const CATALOG_STRING_OIDS = new Set([18 /* "char" */, 19 /* name */]);
const PG_TEXT_OID = 25;

function relabel(res: pg.QueryResult | undefined): void {
  for (const field of res?.fields ?? []) {
    if (CATALOG_STRING_OIDS.has(field.dataTypeID)) field.dataTypeID = PG_TEXT_OID;
  }
}

class CatalogTolerantClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; this only post-processes.
  override query(...args: any[]): any {
    // pg.Pool calls query with a callback, the adapter's own transactions with a promise.
    const last = args.at(-1);
    if (typeof last === 'function') {
      // biome-ignore lint/suspicious/noExplicitAny: see above.
      args[args.length - 1] = (err: Error | null, res: any) => {
        if (!err) relabel(res);
        last(err, res);
      };
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    const result = (super.query as (...a: any[]) => any)(...args);
    if (!(result instanceof Promise)) return result;
    return result.then((res: pg.QueryResult) => {
      relabel(res);
      return res;
    });
  }
}

function pgFactory(connectionString: string): PrismaPg {
  return new PrismaPg(new pg.Pool({ connectionString, Client: CatalogTolerantClient }), { disposeExternalPool: true });
}

// Workaround (@prisma/adapter-pg 6.19.3): its connectToShadowDb creates a scratch database but
// connects with `{ ...config, database }`, and node-postgres lets the connectionString win over
// `database`, so `migrate diff --from-migrations` replayed the migrations into the real database
// ("relation \"User\" already exists"). Here the scratch database gets its own URL.
function pgCliAdapter(): PrismaPg {
  const inner = pgFactory(url);
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'connectToShadowDb') return connectToPgShadowDb;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function connectToPgShadowDb() {
  const name = `prisma_migrate_shadow_db_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const shadowUrl = url.replace(/^(postgres(?:ql)?:\/\/[^/]*\/)[^?]*/, `$1${name}`);
  const adapter = scriptTolerant(await pgFactory(shadowUrl).connect());
  const dispose = adapter.dispose.bind(adapter);
  adapter.dispose = async () => {
    await dispose();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  };
  return adapter;
}

export default defineConfig({
  schema:
    provider === 'sqlite'
      ? path.join(repo, 'prisma', 'schema.prisma')
      : path.join(repo, 'prisma', '.generated', 'schema.postgresql.prisma'),
  migrations: { path: migrationsDir(provider) },
  engine: 'js',
  experimental: { adapter: true },
  adapter: async () => (provider === 'sqlite' ? cliAdapter() : pgCliAdapter()),
});
