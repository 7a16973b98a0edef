import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotNameSchema } from '@vireo/protocol';
import { prunable, scheduledName } from '../src/services/snapshot-schedule.ts';

const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 1, 12, 0);
const snap = (name: string, ageDays: number, scheduled = true, current = false) => ({
  name,
  scheduled,
  current,
  createdAt: new Date(now - ageDays * DAY),
});

test('retention: keep the last N scheduled snapshots', () => {
  const list = [snap('a', 4), snap('b', 3), snap('c', 2), snap('d', 1), snap('manual', 10, false)];
  assert.deepEqual(prunable(list, { keepLast: 2, keepDays: null }, now).sort(), ['a', 'b']);
});

test('retention: keep for D days; both rules; never the current one nor a manual one', () => {
  const list = [snap('a', 9), snap('b', 6, true, true), snap('c', 2), snap('manual', 30, false)];
  assert.deepEqual(prunable(list, { keepLast: null, keepDays: 5 }, now), ['a']);
  assert.deepEqual(prunable(list, { keepLast: 1, keepDays: 5 }, now).sort(), ['a']);
  assert.deepEqual(prunable([snap('x', 1), snap('y', 2), snap('z', 3)], { keepLast: 1, keepDays: 30 }, now).sort(), [
    'y',
    'z',
  ]);
});

test('scheduled names are valid snapshot names, sortable, unique per millisecond', () => {
  assert.equal(scheduledName(new Date(now)), 'auto-20261201-120000-000');
  assert.equal(snapshotNameSchema.safeParse(scheduledName(new Date(now))).success, true);
  const a = scheduledName(new Date(now + 1));
  assert.ok(a > scheduledName(new Date(now)) && a < scheduledName(new Date(now + 1000)));
});

test('retention: two runs in one second (libvirt keeps whole seconds) are ordered by name', () => {
  const first = scheduledName(new Date(now + 100));
  const second = scheduledName(new Date(now + 700));
  const sameSecond = (name: string, current: boolean) => ({ name, scheduled: true, current, createdAt: new Date(now) });
  for (const list of [
    [sameSecond(first, false), sameSecond(second, true)],
    [sameSecond(second, true), sameSecond(first, false)],
  ]) {
    assert.deepEqual(prunable(list, { keepLast: 1, keepDays: null }, now), [first]);
  }
});
