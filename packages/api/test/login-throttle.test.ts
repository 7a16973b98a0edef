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

/** The account exists (its key is the user id); made-up names are counted elsewhere. */
const real = { exists: true };

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
    th.check(`user${i}`, '203.0.113.5'); // not credited: a failure
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
  th.succeeded(th.check('admin', '192.0.2.10', real));
  // Guesses spread over many addresses, each under its own limit.
  for (let i = 0; i < ACCOUNT_LIMIT; i++) th.check('admin', `198.51.100.${i}`, real);
  assert.ok(
    refusal(() => th.check('admin', '198.51.100.200', real)),
    'a new address is refused for this account',
  );
  assert.ok(
    refusal(() => th.check('admin', '192.0.2.99', real)),
    'so is any address the owner never used',
  );
  assert.equal(
    refusal(() => th.check('admin', '192.0.2.10', real)),
    null,
    'the owner’s known address is not',
  );
  assert.equal(
    refusal(() => th.check('alice', '198.51.100.200', real)),
    null,
    'other accounts are not',
  );
  c.advance(LOGIN_WINDOW_MS);
  assert.equal(
    refusal(() => th.check('admin', '198.51.100.200', real)),
    null,
    'the lock ends with the window',
  );
});

test('a success resets nothing an attacker could use', () => {
  const c = clock();
  const th = new LoginThrottle(c.now);
  for (let i = 0; i < ADDRESS_LIMIT - 1; i++) th.check('admin', '203.0.113.9', real);
  th.succeeded(th.check('mallory', '203.0.113.9', real));
  th.check('admin', '203.0.113.9', real);
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
  for (let i = 0; i < ADDRESS_LIMIT; i++) th.check('x', `2001:db8:1:2::${i + 1}`);
  assert.ok(refusal(() => th.check('y', '2001:db8:1:2:ffff::9')));
});

test('parallel attempts are counted as they start: no more than the limit are ever in flight', () => {
  const th = new LoginThrottle(clock().now);
  // A batch of logins from one address: every check runs before any password check finishes.
  const fromOne = Array.from({ length: 20 }, (_, i) => refusal(() => th.check(`name${i}`, '203.0.113.20')));
  assert.equal(fromOne.filter((r) => r === null).length, ADDRESS_LIMIT, 'only the address limit gets through');
  // The same at one account from many addresses.
  const atAdmin = Array.from({ length: 20 }, (_, i) => refusal(() => th.check('admin', `198.51.100.${i}`, real)));
  assert.equal(atAdmin.filter((r) => r === null).length, ACCOUNT_LIMIT, 'only the account limit gets through');
  assert.match(atAdmin[ACCOUNT_LIMIT]?.message ?? '', /Too many failed logins for this account/);
});

test('a right password credits its own attempt back, and only that', () => {
  const th = new LoginThrottle(clock().now);
  for (let i = 0; i < 3 * ADDRESS_LIMIT; i++) th.succeeded(th.check('alice', '192.0.2.30', real));
  assert.equal(
    refusal(() => th.succeeded(th.check('alice', '192.0.2.30', real))),
    null,
    'successes are no failures',
  );
  const inFlight = Array.from({ length: ADDRESS_LIMIT - 1 }, () => th.check('alice', '192.0.2.31', real));
  const good = th.check('alice', '192.0.2.31', real);
  assert.ok(
    refusal(() => th.check('alice', '192.0.2.31', real)),
    'the limit is in flight',
  );
  th.succeeded(good);
  assert.equal(
    refusal(() => th.check('alice', '192.0.2.31', real)),
    null,
    'the credited slot is free again',
  );
  assert.ok(
    refusal(() => th.check('alice', '192.0.2.31', real)),
    'the failures stay',
  );
  assert.equal(inFlight.length, ADDRESS_LIMIT - 1);
});

test('a flood of made-up usernames from many addresses cannot reset a real account', () => {
  const c = clock();
  const th = new LoginThrottle(c.now);
  for (let i = 0; i < ACCOUNT_LIMIT; i++) th.check('admin-id', `198.51.100.${i}`, real);
  assert.ok(
    refusal(() => th.check('admin-id', '192.0.2.77', real)),
    'locked before the flood',
  );
  // 60 000 made-up names, 5 per address, each a failure: past any table cap.
  for (let i = 0; i < 60_000; i++) {
    th.check(`nobody-${i}`, `10.${(i >> 13) & 255}.${(i >> 5) & 255}.${i & 31}`);
    if (i % 1000 === 0) c.advance(1);
  }
  const err = refusal(() => th.check('admin-id', '192.0.2.77', real));
  assert.ok(err, 'the admin account is still locked after the flood');
  assert.match(err.message, /for this account/);
});

test('a trusted device cookie opens the account limit from anywhere, also after a restart', () => {
  const c = clock();
  let th = new LoginThrottle(c.now);
  for (let i = 0; i < ACCOUNT_LIMIT; i++) th.check('admin-id', `198.51.100.${i}`, real);
  th = new LoginThrottle(c.now); // a restart forgets the known places, and the counts
  for (let i = 0; i < ACCOUNT_LIMIT; i++) th.check('admin-id', `198.51.100.${i}`, real);
  assert.ok(
    refusal(() => th.check('admin-id', '192.0.2.88', real)),
    'a new place without the cookie waits',
  );
  assert.equal(
    refusal(() => th.check('admin-id', '192.0.2.88', { ...real, trustedDevice: true })),
    null,
    'with the device cookie it is let in',
  );
  // Still under its address's limit.
  for (let i = 0; i < ADDRESS_LIMIT - 1; i++) th.check('admin-id', '192.0.2.88', { ...real, trustedDevice: true });
  assert.match(
    refusal(() => th.check('admin-id', '192.0.2.88', { ...real, trustedDevice: true }))?.message ?? '',
    /from your address/,
  );
});
