import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEVICE_TTL_S, deviceCookieValue, deviceTrusted } from '../src/services/device-cookie.ts';

const admin = { id: 'cladmin0000000000000000001', passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA' };
const alice = { id: 'clalice0000000000000000002', passwordHash: 'scrypt$16384$8$1$c2FsdDI$aGFzaDI' };
const t0 = 1_800_000_000_000;

test('a device cookie is valid for its own user, for 30 days, with the password it was issued under', () => {
  const value = deviceCookieValue(undefined, admin, t0);
  assert.ok(deviceTrusted(value, admin, t0));
  assert.ok(deviceTrusted(value, admin, t0 + (DEVICE_TTL_S - 60) * 1000), 'still valid near the end');
  assert.ok(!deviceTrusted(value, admin, t0 + DEVICE_TTL_S * 1000), 'expired');
  assert.ok(!deviceTrusted(value, alice, t0), 'not for another user');
  assert.ok(
    !deviceTrusted(value, { ...admin, passwordHash: 'scrypt$16384$8$1$bmV3$bmV3' }, t0),
    'a new password voids it',
  );
  assert.ok(!deviceTrusted(undefined, admin, t0));
  assert.ok(!deviceTrusted('garbage', admin, t0));
});

test('a forged or altered device cookie is refused', () => {
  const value = deviceCookieValue(undefined, admin, t0);
  const [id, issued, sig] = value.split('.') as [string, string, string];
  const later = Math.floor(t0 / 1000) + 3600;
  assert.ok(!deviceTrusted(`${id}.${later}.${sig}`, admin, t0 + 3600_000), 'moved issue time');
  const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
  assert.ok(!deviceTrusted(`${id}.${issued}.${flipped}`, admin, t0), 'altered mac');
  const aliceSig = deviceCookieValue(undefined, alice, t0).split('.')[2];
  assert.ok(!deviceTrusted(`${id}.${issued}.${aliceSig}`, admin, t0), 'another user’s mac');
});

test('one browser keeps the device entries of a few accounts', () => {
  const both = deviceCookieValue(deviceCookieValue(undefined, admin, t0), alice, t0 + 1000);
  assert.ok(deviceTrusted(both, admin, t0 + 2000));
  assert.ok(deviceTrusted(both, alice, t0 + 2000));
  const again = deviceCookieValue(both, admin, t0 + 5000);
  assert.equal(again.split('~').length, 2, 'a user’s old entry is replaced, not added');
});
