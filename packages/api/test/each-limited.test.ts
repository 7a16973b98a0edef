import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eachLimited } from '../src/services/each-limited.ts';

test('eachLimited runs every item, never more than the limit at once', async () => {
  let running = 0;
  let peak = 0;
  const done: number[] = [];
  await eachLimited([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5 + (n % 3) * 5));
    done.push(n);
    running--;
  });
  assert.equal(peak, 4);
  assert.deepEqual(
    done.sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  await eachLimited([], 4, async () => assert.fail('no items, no calls'));
});
