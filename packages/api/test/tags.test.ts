import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TAG_NAME_MAX, tagNameSchema } from '../src/schemas/tags.ts';

test('tag names: trimmed and lower-cased, letters, digits and - _ . :', () => {
  assert.equal(tagNameSchema.parse('  Env:Prod '), 'env:prod');
  for (const ok of ['web', 'team.web', 'a_b-c', '0', 'x'.repeat(TAG_NAME_MAX), 'k8s:node-1']) {
    assert.equal(tagNameSchema.safeParse(ok).success, true, ok);
  }
  for (const bad of ['', '   ', 'x'.repeat(TAG_NAME_MAX + 1), 'a b', 'a/b', '<b>', '-lead', ':x', 'é', 'a%', 'a,b']) {
    assert.equal(tagNameSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});
