/**
 * The end of a successful login, whichever step it ends on (the password, or the TOTP code
 * step in totp-login.ts): a new session and the device cookie's new value.
 */
import { sessions } from '@vireo/db';
import { managerEnv } from '../env.ts';
import type { Role, UserView } from '../views.ts';
import { deviceCookieValue } from './device-cookie.ts';

type LoginUser = Parameters<typeof deviceCookieValue>[1] & { id: string; username: string; role: string };

export async function openSession(
  user: LoginUser,
  deviceCookie: string | undefined,
  now: number,
): Promise<{ user: UserView; token: string; maxAgeS: number; device: string }> {
  const maxAgeS = managerEnv().VIREO_SESSION_TTL_H * 3600;
  const { token } = await sessions.create(user.id, maxAgeS * 1000);
  return {
    user: { id: user.id, username: user.username, role: user.role as Role },
    token,
    maxAgeS,
    device: deviceCookieValue(deviceCookie, user, now),
  };
}
