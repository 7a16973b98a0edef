/**
 * The signed-in user's TOTP (enrol, confirm, turn off) and the admin's reset for a lost phone.
 * Enrolment keeps the new secret pending until the user types a current code from it, so a
 * mis-scanned QR code never locks anyone out; only then is it on, with 10 fresh recovery codes
 * that are shown this once (the database keeps their SHA-256: 50 random bits each, so a hash is
 * not worth guessing back, and the login throttle stands in front of every try).
 */
import { events, hashToken, oidcUsers, totp, users, verifyPassword } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import QRCode from 'qrcode';
import { loginThrottle } from './login-throttle.ts';
import { spendCode } from './totp-login.ts';
import { checkTotp, generateRecoveryCodes, generateTotpSecret, normalizeRecoveryCode, otpauthUri } from './totp.ts';

export const TOTP_ISSUER = 'Vireo';

type Actor = { id: string; username: string };

export interface TotpStatus {
  enabled: boolean;
  enabledAt: string | null;
  recoveryCodesLeft: number;
}

export interface TotpEnrolment {
  secret: string;
  uri: string;
  /** The URI as a QR code, an SVG document (made here: no network, no canvas). */
  qrSvg: string;
}

async function stateOf(userId: string) {
  const state = await totp.state(userId);
  if (!state) throw new VireoError('NOT_FOUND', 'No such user.', { object: 'user' });
  return state;
}

export async function totpStatus(userId: string): Promise<TotpStatus> {
  const state = await stateOf(userId);
  return {
    enabled: state.enabledAt !== null,
    enabledAt: state.enabledAt?.toISOString() ?? null,
    recoveryCodesLeft: state.enabledAt ? state.recoveryCodesLeft : 0,
  };
}

const alreadyOn = () =>
  new VireoError('INVALID_STATE', 'Two-factor authentication is already on. Turn it off first to set up a new phone.', {
    object: 'user',
  });

/** A new pending secret (replacing an unconfirmed one), for the QR code and as text. */
export async function beginTotp(user: Actor): Promise<TotpEnrolment> {
  // An SSO login never reaches the code step: the second factor is the provider's to ask.
  const facts = await totp.loginFacts(user.id);
  if (facts && oidcUsers.hasNoLocalPassword(facts.passwordHash))
    throw new VireoError(
      'INVALID_STATE',
      'This account signs in with single sign-on: set up a second factor at your identity provider.',
      { object: 'user' },
    );
  const secret = generateTotpSecret();
  if (!(await totp.begin(user.id, secret))) throw alreadyOn();
  const uri = otpauthUri(TOTP_ISSUER, user.username, secret);
  const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, uri, qrSvg };
}

/** Switches TOTP on if `code` is current for the pending secret; returns the recovery codes. */
export async function enableTotp(user: Actor, code: string): Promise<{ recoveryCodes: string[] }> {
  const state = await stateOf(user.id);
  if (state.enabledAt) throw alreadyOn();
  if (!state.secret)
    throw new VireoError('INVALID_STATE', 'Set-up was not started (or was reset). Start again.', { object: 'user' });
  const check = checkTotp(state.secret, code, Date.now(), null);
  if (!check.ok)
    throw new VireoError(
      'FORBIDDEN',
      'That code does not match the secret; codes change every 30 s. Check that the phone shows the "Vireo" entry just added and that its clock is right.',
      { object: 'user' },
    );
  const recoveryCodes = generateRecoveryCodes();
  const hashes = recoveryCodes.map((c) => hashToken(normalizeRecoveryCode(c) as string));
  if (!(await totp.enable(user.id, state.secret, check.step, hashes)))
    throw new VireoError('CONFLICT', 'Set-up was restarted elsewhere meanwhile. Start again.', { object: 'user' });
  await events.add({
    severity: 'info',
    kind: 'user.totp',
    message: `${user.username} turned on two-factor authentication.`,
    userId: user.id,
  });
  return { recoveryCodes };
}

/**
 * Turns the user's own TOTP off, proven by their password or a current code (or a recovery
 * code). Wrong proofs count against the login throttle, as at login.
 */
export async function disableTotp(
  user: Actor,
  proof: { password?: string; code?: string },
  clientAddress: string,
): Promise<void> {
  const state = await stateOf(user.id);
  if (!state.enabledAt) return;
  const attempt = loginThrottle.check(user.id, clientAddress, { exists: true });
  if (proof.password !== undefined) {
    const record = await users.byUsername(user.username);
    if (!record || !(await verifyPassword(proof.password, record.passwordHash)))
      throw new VireoError('FORBIDDEN', 'Wrong password.', { object: 'user' });
  } else if (proof.code !== undefined) {
    await spendCode(
      { id: user.id, secret: state.secret, lastStep: state.lastStep },
      proof.code,
      Date.now(),
      'FORBIDDEN',
    );
  } else {
    throw new VireoError('BAD_INPUT', 'Enter your password or a current code.', { object: 'user' });
  }
  attempt.credit();
  await totp.disable(user.id);
  await events.add({
    severity: 'info',
    kind: 'user.totp',
    message: `${user.username} turned off two-factor authentication.`,
    userId: user.id,
  });
}

/** An admin turns a user's TOTP off (a lost phone); the user logs in with the password alone and may enrol again. */
export async function resetTotp(actor: Actor, userId: string): Promise<void> {
  const user = await users.byId(userId);
  if (!user) throw new VireoError('NOT_FOUND', 'No such user.', { object: 'user' });
  if (!(await totp.disable(userId)))
    throw new VireoError('INVALID_STATE', `"${user.username}" has no two-factor authentication to reset.`, {
      object: 'user',
    });
  await events.add({
    severity: 'warning',
    kind: 'user.totp',
    message: `${actor.username} reset the two-factor authentication of ${user.username}.`,
    userId: actor.id,
  });
}
