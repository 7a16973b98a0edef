/**
 * TOTP (issue 10): the RFC 6238 test vectors (SHA-1 rows), the drift window, replay refusal, and
 * on a real database (the migrated test DB of packages/db/test) the login's two steps: a
 * challenge instead of a session, a code good once, recovery codes good once, wrong codes
 * throttled like wrong passwords, and turning it off.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setupTestDb } from '../../db/test/helpers.ts';
import {
  base32Decode,
  base32Encode,
  checkTotp,
  generateRecoveryCodes,
  generateTotpSecret,
  hotp,
  normalizeRecoveryCode,
  otpauthUri,
  totpCode,
} from '../src/services/totp.ts';
import { auditInputJson } from '../src/services/audit/redact.ts';

describe('RFC 6238 / RFC 4226', () => {
  // RFC 6238 appendix B, SHA-1 rows: the key is the ASCII "12345678901234567890", 8 digits.
  const key = Buffer.from('12345678901234567890', 'ascii');
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  for (const [t, want] of vectors) {
    test(`T=${t} gives ${want}`, () => {
      assert.equal(hotp(key, Math.floor(t / 30), 8), want);
      assert.equal(totpCode(base32Encode(key), t * 1000, 8), want);
    });
  }

  test('RFC 4226 appendix D: 6-digit HOTP values', () => {
    const want = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    assert.deepEqual(
      want.map((_, i) => hotp(key, i)),
      want,
    );
  });

  test('base32 round trip; lower case, spaces and padding accepted', () => {
    assert.equal(base32Encode(Buffer.from('12345678901234567890')), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    assert.equal(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq').toString(), '12345678901234567890');
    assert.equal(base32Decode('MZXW6===').toString(), 'foo');
    assert.throws(() => base32Decode('ABC1'));
    const secret = generateTotpSecret();
    assert.match(secret, /^[A-Z2-7]{32}$/, '20 bytes are 32 base32 characters');
    assert.equal(base32Decode(secret).length, 20);
  });

  test('the otpauth URI authenticator apps read', () => {
    assert.equal(
      otpauthUri('Vireo', 'alice', 'JBSWY3DPEHPK3PXP'),
      'otpauth://totp/Vireo:alice?secret=JBSWY3DPEHPK3PXP&issuer=Vireo&algorithm=SHA1&digits=6&period=30',
    );
  });
});

test('the audit log keeps no code, challenge or password of the TOTP procedures', () => {
  const json = auditInputJson({ challengeToken: 'uid.1800000000.mac', passcode: 'k7qm2-x3pd4', password: 'pw' }) ?? '';
  for (const secret of ['uid.1800000000.mac', 'k7qm2-x3pd4', 'pw"']) assert.ok(!json.includes(secret), json);
});

describe('checking a code', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  const t = 1_800_000_015_000; // 15 s into its step
  const step = Math.floor(t / 30_000);

  test('the current code, and one step either side (clock drift), are accepted', () => {
    assert.deepEqual(checkTotp(secret, totpCode(secret, t), t, null), { ok: true, step });
    assert.deepEqual(checkTotp(secret, totpCode(secret, t - 30_000), t, null), { ok: true, step: step - 1 });
    assert.deepEqual(checkTotp(secret, totpCode(secret, t + 30_000), t, null), { ok: true, step: step + 1 });
    assert.deepEqual(checkTotp(secret, ` ${totpCode(secret, t).replace(/(\d{3})/, '$1 ')}`, t, null), {
      ok: true,
      step,
    });
  });

  test('two steps away, malformed or wrong codes are invalid', () => {
    for (const code of [totpCode(secret, t - 60_000), totpCode(secret, t + 60_000), '12345', 'abcdef', '']) {
      assert.deepEqual(checkTotp(secret, code, t, null), { ok: false, reason: 'invalid' }, code);
    }
  });

  test('replay: a code at or before the last accepted step is "used"', () => {
    const now = totpCode(secret, t);
    assert.deepEqual(checkTotp(secret, now, t, step), { ok: false, reason: 'used' });
    assert.deepEqual(checkTotp(secret, totpCode(secret, t - 30_000), t, step), { ok: false, reason: 'used' });
    assert.deepEqual(checkTotp(secret, totpCode(secret, t + 30_000), t, step), { ok: true, step: step + 1 });
  });

  test('recovery codes: 10, distinct, readable, normalised for typing', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) assert.match(c, /^[a-z2-7]{5}-[a-z2-7]{5}$/);
    assert.equal(normalizeRecoveryCode(' K7QM2 x3pd4 '), 'k7qm2x3pd4');
    assert.equal(normalizeRecoveryCode('k7qm2-x3pd4'), 'k7qm2x3pd4');
    assert.equal(normalizeRecoveryCode('123456'), null);
  });
});

describe('login with TOTP, on the database', async () => {
  const { db, teardown } = await setupTestDb();
  after(teardown);
  // Loaded after DATABASE_URL points at the test database.
  const { login } = await import('../src/services/auth-service.ts');
  const { loginWithCode, TOTP_MESSAGES } = await import('../src/services/totp-login.ts');
  const { beginTotp, disableTotp, enableTotp, resetTotp, totpStatus } = await import('../src/services/totp-service.ts');
  const { ADDRESS_LIMIT } = await import('../src/services/login-throttle.ts');

  const rejects = async (p: Promise<unknown>, code: string, message?: string) => {
    await assert.rejects(p, (err: { code?: string; message?: string }) => {
      assert.equal(err.code, code);
      if (message) assert.equal(err.message, message);
      return true;
    });
  };
  /** A code for a later step than any used so far (the tests do not wait 30 s). */
  const codeAt = (secret: string, offsetSteps: number) => totpCode(secret, Date.now() + offsetSteps * 30_000);

  const bob = await db.users.create({ username: 'bob', password: 'bob-password', role: 'user' });
  const admin = await db.users.create({ username: 'root', password: 'root-password', role: 'admin' });
  let secret = '';
  let recoveryCodes: string[] = [];

  test('without TOTP the password alone logs in, as before', async () => {
    const result = await login('bob', 'bob-password', '10.0.0.1');
    assert.ok(result && 'token' in result);
  });

  test('enrolment: a pending secret is on only after a current code', async () => {
    const enrolment = await beginTotp(bob);
    secret = enrolment.secret;
    assert.match(enrolment.uri, /^otpauth:\/\/totp\/Vireo:bob\?secret=[A-Z2-7]{32}&/);
    assert.match(enrolment.qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);
    assert.equal((await totpStatus(bob.id)).enabled, false, 'not on before it is confirmed');
    await rejects(enableTotp(bob, '000000' === codeAt(secret, 0) ? '111111' : '000000'), 'FORBIDDEN');
    ({ recoveryCodes } = await enableTotp(bob, codeAt(secret, -1)));
    assert.equal(recoveryCodes.length, 10);
    assert.deepEqual(await totpStatus(bob.id), {
      enabled: true,
      enabledAt: (await totpStatus(bob.id)).enabledAt,
      recoveryCodesLeft: 10,
    });
    await rejects(beginTotp(bob), 'INVALID_STATE');
  });

  test('the password step gives a challenge, no session; the code step opens one, once', async () => {
    const first = await login('bob', 'bob-password', '10.0.0.2');
    assert.ok(first && 'challenge' in first && !('token' in first));
    const code = codeAt(secret, 0);
    const ok = await loginWithCode(first.challenge, code, '10.0.0.2');
    assert.equal(ok.user.username, 'bob');
    assert.ok(await db.sessions.findValid(ok.token));
    // The same code again, even with a fresh challenge, is a replay.
    const again = await login('bob', 'bob-password', '10.0.0.2');
    assert.ok(again && 'challenge' in again);
    await rejects(loginWithCode(again.challenge, code, '10.0.0.2'), 'UNAUTHORIZED', TOTP_MESSAGES.used);
    await rejects(loginWithCode(again.challenge, '000000', '10.0.0.2'), 'UNAUTHORIZED');
    await rejects(loginWithCode('bogus', code, '10.0.0.2'), 'UNAUTHORIZED', TOTP_MESSAGES.expired);
    const forged = again.challenge.replace(/\.(\d+)\./, (_, s) => `.${Number(s) + 600}.`);
    await rejects(loginWithCode(forged, codeAt(secret, 1), '10.0.0.2'), 'UNAUTHORIZED', TOTP_MESSAGES.expired);
  });

  test('a wrong code says what is wrong', async () => {
    const c = await login('bob', 'bob-password', '10.0.0.3');
    assert.ok(c && 'challenge' in c);
    const wrong = codeAt(secret, 5);
    await rejects(loginWithCode(c.challenge, wrong, '10.0.0.3'), 'UNAUTHORIZED', TOTP_MESSAGES.invalid);
    assert.match(TOTP_MESSAGES.invalid, /not valid or has expired; codes change every 30 s/);
  });

  test('a recovery code works once instead of a code', async () => {
    const c = await login('bob', 'bob-password', '10.0.0.4');
    assert.ok(c && 'challenge' in c);
    const [one] = recoveryCodes as [string];
    assert.equal((await loginWithCode(c.challenge, one.toUpperCase(), '10.0.0.4')).user.username, 'bob');
    await rejects(loginWithCode(c.challenge, one, '10.0.0.4'), 'UNAUTHORIZED', TOTP_MESSAGES.recovery);
    assert.equal((await totpStatus(bob.id)).recoveryCodesLeft, 9);
  });

  test('wrong codes are throttled like wrong passwords', async () => {
    // Its own account, so the counts of the tests above do not mix in.
    const carol = await db.users.create({ username: 'carol', password: 'carol-password', role: 'user' });
    const enrolment = await beginTotp(carol);
    await enableTotp(carol, codeAt(enrolment.secret, 0));
    const c = await login('carol', 'carol-password', '10.0.0.5');
    assert.ok(c && 'challenge' in c);
    for (let i = 0; i < ADDRESS_LIMIT; i++)
      await rejects(loginWithCode(c.challenge, 'aaaaa-aaaaa', '10.0.0.5'), 'UNAUTHORIZED', TOTP_MESSAGES.recovery);
    // Even the right code is refused now: the throttle does not tell a guesser when they are right.
    await rejects(loginWithCode(c.challenge, codeAt(enrolment.secret, 1), '10.0.0.5'), 'TOO_MANY_REQUESTS');
    // And the password step from elsewhere meets the account's limit too.
    await rejects(login('carol', 'carol-password', '10.0.0.50'), 'TOO_MANY_REQUESTS');
  });

  test('a disabled user stays out, even with a right code', async () => {
    const c = await login('bob', 'bob-password', '10.0.0.6');
    assert.ok(c && 'challenge' in c);
    await db.users.setDisabled(bob.id, true);
    await rejects(loginWithCode(c.challenge, codeAt(secret, 1), '10.0.0.6'), 'FORBIDDEN');
    await rejects(login('bob', 'bob-password', '10.0.0.6'), 'FORBIDDEN');
    await db.users.setDisabled(bob.id, false);
  });

  test('turning it off needs the password or a code; an admin reset is an event', async () => {
    await rejects(disableTotp(bob, { password: 'wrong' }, '10.0.0.7'), 'FORBIDDEN');
    await rejects(
      disableTotp(bob, { code: '000000' === codeAt(secret, 1) ? '111111' : '000000' }, '10.0.0.7'),
      'FORBIDDEN',
    );
    assert.equal((await totpStatus(bob.id)).enabled, true);
    await disableTotp(bob, { code: codeAt(secret, 1) }, '10.0.0.7');
    assert.equal((await totpStatus(bob.id)).enabled, false);
    const plain = await login('bob', 'bob-password', '10.0.0.7');
    assert.ok(plain && 'token' in plain, 'back to the password alone');

    const again = await beginTotp(bob);
    await enableTotp(bob, codeAt(again.secret, 0));
    await disableTotp(bob, { password: 'bob-password' }, '10.0.0.8');
    assert.equal((await totpStatus(bob.id)).enabled, false);

    const third = await beginTotp(bob);
    await enableTotp(bob, codeAt(third.secret, 0));
    await resetTotp(admin, bob.id);
    assert.deepEqual(await totpStatus(bob.id), { enabled: false, enabledAt: null, recoveryCodesLeft: 0 });
    await rejects(resetTotp(admin, bob.id), 'INVALID_STATE');
    const recorded = (await db.events.listRecent({ limit: 5 })).map((e) => e.message);
    assert.ok(recorded.includes('root reset the two-factor authentication of bob.'), recorded.join('\n'));
  });
});
