// `npm run db:migrate`: applies the committed migrations to DATABASE_URL (SQLite or PostgreSQL).
// Exit status 1 with the reason when a migration is refused or fails.
import { databaseUrl, redact } from './database-url.ts';
import { MigrationError, migrate } from './migrate.ts';

const url = databaseUrl();
try {
  const result = await migrate({ url, log: (line) => console.log(line) });
  console.log(
    `${result.provider} ${redact(url)}: ${result.applied.length} migration(s) applied, ` +
      `${result.alreadyApplied} already applied`,
  );
} catch (err) {
  console.error(MigrationError.is(err) ? `${err.code}: ${err.message}` : err);
  process.exitCode = 1;
}
