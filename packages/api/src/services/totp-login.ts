/**
 * The login's second step for accounts with TOTP on. The password step (auth-service.ts) does
 * not open a session for them; it hands back a challenge: `userId.expiresS.mac`, good for
 * CHALLENGE_TTL_S, whose mac is an HMAC keyed with the account's password hash (as the device
 * cookie is, device-cookie.ts): nothing new is stored, any manager can check it, and a password
 * change voids it. The challenge only permits trying codes; the session comes from a right one.
 *
 * Wrong codes are throttled by the same policy and counters as wrong passwords
 * (login-throttle.ts, per address and per account). The password step only credits its attempt
 * back; the address becomes a known place of the account (exempt from the account limit) only
 * once the code is right too, so knowing the password does not buy unlimited code guesses.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { hashToken, totp } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { deviceTrusted } from './device-cookie.ts';
import { loginThrottle } from './login-throttle.ts';
import { openSession } from './login-session.ts';
import { checkTotp, normalizeRecoveryCode } from './totp.ts';

export const CHALLENGE_TTL_S = 5 * 60;
const CHALLENGE = /^([\w-]{1,64})\.(\d{1,12})\.([\w-]{43})$/;

export const TOTP_MESSAGES = {
  invalid:
    'That code is not valid or has expired; codes change every 30 s. Check the time on your phone, or use a recovery code.',
  used: 'That code was already used. Wait for the next one; codes change every 30 s.',
  recovery: 'That recovery code is not valid or was already used; each one works once.',
  expired: 'The login took too long. Enter your password again.',
} as const;

interface ChallengeOwner {
  id: string;
  passwordHash: string;
}

function mac(owner: ChallengeOwner, expiresS: number): string {
  return createHmac('sha256', owner.passwordHash)
    .update(`vireo-totp-challenge:v1:${owner.id}:${expiresS}`)
    .digest('base64url');
}

export function issueChallenge(owner: ChallengeOwner, nowMs: number): string {
  const expiresS = Math.floor(nowMs / 1000) + CHALLENGE_TTL_S;
  return `${owner.id}.${expiresS}.${mac(owner, expiresS)}`;
}

function challengeUserId(challenge: string): string | null {
  return CHALLENGE.exec(challenge)?.[1] ?? null;
}

function challengeValid(challenge: string, owner: ChallengeOwner, nowMs: number): boolean {
  const [, id, expires = '', sig = ''] = CHALLENGE.exec(challenge) ?? [];
  const expiresS = Number(expires);
  if (id !== owner.id || expiresS * 1000 <= nowMs) return false;
  const want = Buffer.from(mac(owner, expiresS));
  const got = Buffer.from(sig);
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Checks a TOTP code (or a recovery code) for a user with TOTP on, recording its use: a code's
 * step becomes the last accepted one, a recovery code is spent. A wrong one throws `errorCode`
 * (UNAUTHORIZED at login; FORBIDDEN in the account page, where UNAUTHORIZED would mean "log in
 * again") with a specific message.
 */
export async function spendCode(
  user: { id: string; secret: string | null; lastStep: number | null },
  code: string,
  nowMs: number,
  errorCode: 'UNAUTHORIZED' | 'FORBIDDEN' = 'UNAUTHORIZED',
): Promise<'totp' | 'recovery'> {
  const typed = code.trim();
  if (/^[\d\s]+$/.test(typed)) {
    const check = checkTotp(user.secret ?? '', typed, nowMs, user.lastStep);
    // The write is the arbiter: of two requests with one code, only one moves lastStep past it.
    if (check.ok && (await totp.acceptStep(user.id, check.step))) return 'totp';
    const reason = check.ok ? 'used' : check.reason;
    throw new VireoError(errorCode, TOTP_MESSAGES[reason], { object: 'session' });
  }
  const recovery = normalizeRecoveryCode(typed);
  if (recovery && (await totp.useRecoveryCode(user.id, hashToken(recovery)))) return 'recovery';
  throw new VireoError(errorCode, recovery ? TOTP_MESSAGES.recovery : TOTP_MESSAGES.invalid, { object: 'session' });
}

/** The second step: a right code (or recovery code) for the challenge's user opens a session. */
export async function loginWithCode(
  challenge: string,
  code: string,
  clientAddress: string,
  deviceCookie?: string,
): Promise<{ user: UserView; token: string; maxAgeS: number; device: string }> {
  const now = Date.now();
  const userId = challengeUserId(challenge);
  const user = userId ? await totp.loginFacts(userId) : null;
  if (!user || !challengeValid(challenge, user, now))
    throw new VireoError('UNAUTHORIZED', TOTP_MESSAGES.expired, { object: 'session' });
  // Counted as a failure from here on unless the code is right (see the header).
  const attempt = loginThrottle.check(user.id, clientAddress, {
    exists: true,
    trustedDevice: deviceTrusted(deviceCookie, user, now),
  });
  if (user.disabledAt)
    throw new VireoError('FORBIDDEN', 'This account is disabled. Ask an administrator to enable it.');
  // TOTP reset by an admin since the password step: the password alone is the login again.
  if (user.enabledAt) await spendCode(user, code, now);
  loginThrottle.succeeded(attempt);
  return openSession(user, deviceCookie, now);
}
