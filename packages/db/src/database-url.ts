// The one reader of DATABASE_URL, for the client at run time and the Prisma CLI alike
// (prisma.config.ts imports it), so both always open the same database.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Same default as scripts/prisma.sh: `file:<repo>/var/vireo.db`. */
export const defaultDatabaseUrl = `file:${path.join(repoRoot, 'var', 'vireo.db')}`;

export function databaseUrl(): string {
  return process.env.DATABASE_URL || defaultDatabaseUrl;
}
