import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { migratedTempDb, repoRoot } from './helpers.ts';

function seed(env: Record<string, string>): string {
  return execFileSync(process.execPath, ['--import', 'tsx', 'prisma/seed.ts'], {
    cwd: repoRoot,
    env: { ...process.env, VIREO_ADMIN_PASSWORD: '', VIREO_TEMPLATE_IMAGE_JSON: '', ...env },
    encoding: 'utf8',
  });
}

test('seed is idempotent and prints a generated password only once', async () => {
  const { url, cleanup } = migratedTempDb();
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-seed-'));
  try {
    const image = path.join(dir, 'image.json');
    writeFileSync(image, JSON.stringify({ kernel: '/k', initrd: '/i', disk: '/d.qcow2', cmdline: 'console=ttyS0' }));
    const first = seed({ DATABASE_URL: url, VIREO_TEMPLATE_IMAGE_JSON: image });
    assert.match(first, /Admin password: \S+/);
    assert.match(first, /Template vireo-tiny: created/);
    const second = seed({ DATABASE_URL: url, VIREO_TEMPLATE_IMAGE_JSON: image });
    assert.doesNotMatch(second, /Admin password/);
    assert.match(second, /Admin user: ok/);
    assert.match(second, /Template vireo-tiny: ok/);
    const third = seed({ DATABASE_URL: url, VIREO_ADMIN_PASSWORD: 'from-env' });
    assert.match(third, /Admin password reset/);
    assert.match(third, /Template vireo-tiny: skipped/);
    assert.match(seed({ DATABASE_URL: url, VIREO_ADMIN_PASSWORD: 'from-env' }), /Admin user: ok/);
  } finally {
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
