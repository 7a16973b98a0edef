import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bootTimeS, qemuStartedAt, startTicks } from '../src/qemu-process.ts';

test('field 22 of a stat line whose process name holds spaces and parentheses', () => {
  const line =
    '4242 (qemu (x) system) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 3 0 123456 1000 200 18446744073709551615';
  assert.equal(startTicks(line), 123456);
  assert.equal(bootTimeS('cpu  1 2 3\nbtime 1764640000\nprocesses 9\n'), 1764640000);
});

test('the start of a live process: this one, from a pid file naming it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-pid-'));
  await writeFile(join(dir, 'me.pid'), `${process.pid}\n`);
  const at = await qemuStartedAt('me', dir);
  assert.ok(at, 'a start time');
  const startedMsAgo = Date.now() - Date.parse(at);
  // This process started at most a few minutes ago, and not in the future (ticks are 10 ms).
  assert.ok(startedMsAgo >= -1000 && startedMsAgo < 10 * 60_000, `started ${startedMsAgo} ms ago`);
  assert.ok(Math.abs(startedMsAgo - process.uptime() * 1000) < 5000, 'agrees with process.uptime()');
  assert.equal(await qemuStartedAt('absent', dir), undefined);
});
