// Each test file gets its own SQLite file, migrated with the real migrations
// through scripts/prisma.sh (the same path production takes).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const prismaSh = path.join(repoRoot, 'scripts', 'prisma.sh');

export function migratedTempDb(): { url: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-db-test-'));
  const url = `file:${path.join(dir, 'test.db')}`;
  const env = { ...process.env, DATABASE_URL: url };
  if (!existsSync(path.join(repoRoot, 'packages/db/src/generated/client.ts'))) {
    execFileSync(prismaSh, ['generate'], { env, stdio: 'pipe' });
  }
  execFileSync(prismaSh, ['migrate', 'deploy'], { env, stdio: 'pipe' });
  return { url, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
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
