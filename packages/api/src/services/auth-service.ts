import { DbConflictError, oidcUsers, sessions, totp, users, verifyPassword } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import { closeSessionConnections } from './console-tickets.ts';
import { deviceTrusted } from './device-cookie.ts';
import { loginThrottle } from './login-throttle.ts';
import { openSession } from './login-session.ts';
import { issueChallenge } from './totp-login.ts';
import type { Role, UserView } from '../views.ts';

/**
 * Checks a password, throttled per account and per client address (policy: login-throttle.ts);
 * a throttled attempt throws TOO_MANY_REQUESTS before the password is looked at. `deviceCookie`
 * is the request's device cookie (device-cookie.ts); the result carries its new value. With TOTP
 * on, a right password opens no session: the result is a challenge for the code step
 * (totp-login.ts).
 */
export async function login(
  username: string,
  password: string,
  clientAddress: string,
  deviceCookie?: string,
): Promise<{ user: UserView; token: string; maxAgeS: number; device: string } | { challenge: string } | null> {
  const user = await users.byUsername(username);
  const now = Date.now();
  // Counted as a failure from here on (synchronously with the check) unless credited below.
  const attempt = loginThrottle.check(user?.id ?? username, clientAddress, {
    exists: user !== null,
    trustedDevice: user !== null && deviceTrusted(deviceCookie, user, now),
  });
  // An SSO account has no password here: say where to sign in (the attempt still counts).
  if (user && oidcUsers.hasNoLocalPassword(user.passwordHash)) {
    const name = managerEnv().VIREO_OIDC_NAME;
    throw new VireoError(
      'UNAUTHORIZED',
      `This account signs in with single sign-on: use "Sign in with ${name}" instead of a password.`,
      { object: 'session' },
    );
  }
  // Verify even for unknown users so the answer takes as long either way.
  const ok = await verifyPassword(password, user?.passwordHash ?? 'scrypt$16384$8$1$AAAA$AAAA');
  if (!user || !ok) return null;
  // With TOTP on the password is no failure, but its place becomes known only with the code.
  const totpOn = Boolean((await totp.state(user.id))?.enabledAt);
  if (totpOn) attempt.credit();
  else loginThrottle.succeeded(attempt);
  // Said only to whoever knows the password, so it reveals nothing to a guesser.
  if (user.disabledAt)
    throw new VireoError('FORBIDDEN', 'This account is disabled. Ask an administrator to enable it.');
  if (totpOn) return { challenge: issueChallenge(user, now) };
  return openSession(user, deviceCookie, now);
}

export async function logout(sessionId: string): Promise<void> {
  closeSessionConnections(sessionId);
  await sessions.deleteById(sessionId);
}

export async function listUsers(): Promise<UserView[]> {
  return (await users.list()).map((u) => ({ id: u.id, username: u.username, role: u.role as Role }));
}

export async function createUser(input: { username: string; password: string; role: Role }): Promise<UserView> {
  try {
    const user = await users.create({ username: input.username, password: input.password, role: input.role });
    return { id: user.id, username: user.username, role: user.role as Role };
  } catch (err) {
    if (err instanceof DbConflictError)
      throw new VireoError('CONFLICT', `A user named "${input.username}" already exists.`, { object: 'user' });
    throw err;
  }
}
