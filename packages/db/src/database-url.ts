// The one reader of DATABASE_URL, for the client at run time, the migration runner and the Prisma
// CLI alike (prisma.config.ts imports it), so all of them always open the same database.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Same default as scripts/prisma.sh: `file:<repo>/var/vireo.db`. */
export const defaultDatabaseUrl = `file:${path.join(repoRoot, 'var', 'vireo.db')}`;

export function databaseUrl(): string {
  return process.env.DATABASE_URL || defaultDatabaseUrl;
}

/** The two databases Vireo supports, named as Prisma names its providers. */
export type DatabaseProvider = 'sqlite' | 'postgresql';

/** `file:…` is SQLite, `postgres://…` or `postgresql://…` is PostgreSQL; anything else is refused. */
export function databaseProvider(url: string): DatabaseProvider {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL), got "${redact(url)}"`);
}

/** The SQLite file a `file:` URL names (relative paths are relative to the working directory). */
export function sqlitePath(url: string): string {
  return path.resolve(url.slice('file:'.length).replace(/\?.*$/, ''));
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** Committed migrations for the provider: the same folder names in both trees. */
export function migrationsDir(provider: DatabaseProvider): string {
  return path.join(repoRoot, 'prisma', provider === 'sqlite' ? 'migrations' : 'migrations-postgresql');
}

/** The same PostgreSQL server URL naming another database (tests, scratch databases). */
export function withDatabaseName(url: string, name: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^/?]*)(\/[^?]*)?/, `$1/${name}`);
}
