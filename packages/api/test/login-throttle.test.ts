import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ACCOUNT_LIMIT,
  ADDRESS_LIMIT,
  addressKey,
  LOGIN_WINDOW_MS,
  LoginThrottle,
  LoginThrottledError,
} from '../src/services/login-throttle.ts';

function clock() {
  let t = 1_000_000;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function refusal(fn: () => void): LoginThrottledError | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof LoginThrottledError) return err;
    throw err;
  }
}

test('an address is refused after its failures, with Retry-After, until the window frees', () => {
  const c = clock();
  const th = new LoginThrottle(c.now);
  for (let i = 0; i < ADDRESS_LIMIT; i++) {
    th.check(`user${i}`, '203.0.113.5');
    th.failed(`user${i}`, '203.0.113.5');
    c.advance(1000);
  }
  const err = refusal(() => th.check('someone', '203.0.113.5'));
  assert.ok(err, 'refused after the limit');
  assert.equal(err.code, 'TOO_MANY_REQUESTS');
  assert.ok(err.retryAfterS > 0 && err.retryAfterS <= LOGIN_WINDOW_MS / 1000, `retry after ${err.retryAfterS}`);
  assert.equal(
    refusal(() => th.check('someone', '198.51.100.7')),
    null,
    'another address is not affected',
  );
  c.advance(err.retryAfterS * 1000);
  assert.equal(
    refusal(() => th.check('someone', '203.0.113.5')),
    null,
    'allowed once the oldest failure aged out',
  );
});

test('an attacked account stays open to the places its owner logged in from', () => {
  const c = clock();
  const th = new LoginThrottle(c.now);
  th.succeeded('admin', '192.0.2.10');
  // Guesses spread over many addresses, each under its own limit.
  for (let i = 0; i < ACCOUNT_LIMIT; i++) th.failed('Admin', `198.51.100.${i}`);
  assert.ok(
    refusal(() => th.check('admin', '198.51.100.200')),
    'a new address is refused for this account',
  );
  assert.ok(
    refusal(() => th.check('admin', '192.0.2.99')),
    'so is any address the owner never used',
  );
  assert.equal(
    refusal(() => th.check('admin', '192.0.2.10')),
    null,
    'the owner’s known address is not',
  );
  assert.equal(
    refusal(() => th.check('alice', '198.51.100.200')),
    null,
    'other accounts are not',
  );
  c.advance(LOGIN_WINDOW_MS);
  assert.equal(
    refusal(() => th.check('admin', '198.51.100.200')),
    null,
    'the lock ends with the window',
  );
});

test('a success resets nothing an attacker could use', () => {
  const c = clock();
  const th = new LoginThrottle(c.now);
  for (let i = 0; i < ADDRESS_LIMIT; i++) th.failed('admin', '203.0.113.9');
  th.succeeded('mallory', '203.0.113.9');
  assert.ok(
    refusal(() => th.check('mallory', '203.0.113.9')),
    'the address stays throttled',
  );
});

test('IPv6 clients count by /64', () => {
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:db8:1:2:bbbb::2'));
  assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('10.0.0.1'), '10.0.0.1');
  const th = new LoginThrottle();
  for (let i = 0; i < ADDRESS_LIMIT; i++) th.failed('x', `2001:db8:1:2::${i + 1}`);
  assert.ok(refusal(() => th.check('y', '2001:db8:1:2:ffff::9')));
});
