import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASKED, maskOptions, mergeOptions } from '../src/services/ha/settings.ts';

test('fence options: passwords are masked on the way out, and the masked value sent back keeps the stored one', () => {
  const stored = { ip: '10.0.0.9', username: 'admin', password: 's3cret', passwd_script: '' };
  assert.deepEqual(maskOptions(stored), { ip: '10.0.0.9', username: 'admin', password: MASKED, passwd_script: '' });
  assert.deepEqual(mergeOptions(stored, { ip: '10.0.0.10', username: 'admin', password: MASKED }), {
    ip: '10.0.0.10',
    username: 'admin',
    password: 's3cret',
  });
  assert.deepEqual(mergeOptions(stored, { password: 'new-one' }), { password: 'new-one' });
  // Masked, but nothing stored under that name: never the literal mask.
  assert.deepEqual(mergeOptions({}, { password: MASKED }), { password: '' });
});
