// Prisma CLI configuration (Prisma 6.19, fully offline).
// engine "js" runs the schema engine in JS through the better-sqlite3 driver
// adapter, so `migrate`/`generate` never download a native engine.
// Run the CLI through scripts/prisma.sh, which also sets DATABASE_URL.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { defineConfig } from 'prisma/config';
import { databaseUrl } from './packages/db/src/database-url.ts';

const repo = path.dirname(fileURLToPath(import.meta.url));
const url = databaseUrl();

type Factory = PrismaBetterSQLite3;
type Adapter = Awaited<ReturnType<Factory['connectToShadowDb']>>;

// Workaround (Prisma 6.19.3 + @prisma/adapter-better-sqlite3 6.19.3):
// `migrate diff --from-migrations` replays each migration.sql on the shadow
// database through executeRaw(), which calls better-sqlite3's prepare(); that
// rejects multi-statement SQL ("The supplied SQL string contains more than one
// statement") and the CLI reports only "P3006 ... External error id#0".
// Parameterless raw SQL is routed to executeScript() (better-sqlite3 exec()).
function scriptTolerant(adapter: Adapter): Adapter {
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

export default defineConfig({
  schema: path.join(repo, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(repo, 'prisma', 'migrations') },
  engine: 'js',
  experimental: { adapter: true },
  adapter: async () => cliAdapter(),
});
