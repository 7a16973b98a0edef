import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from '../src/password.ts';

test('hash has the scrypt$N$r$p$salt$hash format and verifies', async () => {
  const hash = await hashPassword('correct horse');
  assert.match(hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.equal(await verifyPassword('correct horse', hash), true);
  assert.equal(await verifyPassword('wrong horse', hash), false);
});

test('same password gets a different salt each time', async () => {
  const [a, b] = await Promise.all([hashPassword('pw'), hashPassword('pw')]);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('pw', b), true);
});

test('malformed or foreign hashes do not verify and do not throw', async () => {
  for (const stored of ['', 'plain', 'bcrypt$2b$10$x', 'scrypt$x$8$1$AAAA$AAAA', 'scrypt$16384$8$1$$']) {
    assert.equal(await verifyPassword('pw', stored), false, stored);
  }
});
