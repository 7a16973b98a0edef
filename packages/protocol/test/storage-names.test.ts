import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizedPathSchema, poolNameSchema, volumeNameSchema } from '../src/methods/storage.ts';

test('pool paths must be absolute and normalised', () => {
  for (const p of ['/', '/srv', '/srv/pool-1', '/srv/.hidden', '/srv/a..b']) {
    assert.ok(normalizedPathSchema.safeParse(p).success, p);
  }
  for (const p of ['', 'srv', '/srv/', '/srv//x', '/srv/./x', '/srv/../etc', '/..', '/srv/.', '/a\0b']) {
    assert.equal(normalizedPathSchema.safeParse(p).success, false, JSON.stringify(p));
  }
});

test('pool and volume names: no separators, no leading dot or dash, bounded', () => {
  assert.ok(poolNameSchema.safeParse('default').success);
  assert.ok(poolNameSchema.safeParse('fast_ssd.2').success);
  for (const n of ['', 'Default', '-x', '.x', 'a/b', 'a b', 'x'.repeat(65)]) {
    assert.equal(poolNameSchema.safeParse(n).success, false, n);
  }
  assert.ok(volumeNameSchema.safeParse('Web-1.qcow2').success);
  for (const n of ['', '.qcow2', '../x', 'a/b', "a'b", 'x'.repeat(129)]) {
    assert.equal(volumeNameSchema.safeParse(n).success, false, n);
  }
});
