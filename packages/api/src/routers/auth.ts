import { VireoError } from '@vireo/protocol';
import { z } from 'zod';
import { sessionCookieName } from '../context.ts';
import { managerEnv } from '../env.ts';
import { OIDC_START_PATH, oidcSettings } from '../services/oidc/config.ts';
import { login, logout } from '../services/auth-service.ts';
import { DEVICE_TTL_S, deviceCookieName } from '../services/device-cookie.ts';
import { loginWithCode } from '../services/totp-login.ts';
import { rule } from '../services/permissions/rules.ts';
import { publicProcedure, router, sessionProcedure } from '../trpc.ts';

/** Over HTTPS (or a trusted TLS proxy): `__Host-` name and Secure, see sessionCookieName. */
function cookie(value: string, maxAgeS: number, secure: boolean, name = sessionCookieName(secure)): string {
  return `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export const authRouter = router({
  login: publicProcedure
    .meta(rule.public)
    .input(z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) }))
    .mutation(async ({ ctx, input }) => {
      const deviceName = deviceCookieName(ctx.client.secure);
      const result = await login(input.username, input.password, ctx.client.address, ctx.cookie(deviceName));
      if (!result) throw new VireoError('UNAUTHORIZED', 'Wrong username or password.');
      // TOTP on: no session yet; the code goes to loginCode with this challenge.
      if ('challenge' in result) return { totpRequired: true as const, challengeToken: result.challenge };
      ctx.setCookie(cookie(result.token, result.maxAgeS, ctx.client.secure));
      // Kept at logout: it marks this browser as a known place for the account (device-cookie.ts).
      ctx.setCookie(cookie(result.device, DEVICE_TTL_S, ctx.client.secure, deviceName));
      return result.user;
    }),
  /**
   * The second step for accounts with TOTP on: a current code or a recovery code. The names
   * (challengeToken, passcode) are ones the audit log redacts (services/audit/redact.ts).
   */
  loginCode: publicProcedure
    .meta(rule.public)
    .input(z.object({ challengeToken: z.string().min(1).max(200), passcode: z.string().trim().min(1).max(32) }))
    .mutation(async ({ ctx, input }) => {
      const deviceName = deviceCookieName(ctx.client.secure);
      const result = await loginWithCode(
        input.challengeToken,
        input.passcode,
        ctx.client.address,
        ctx.cookie(deviceName),
      );
      ctx.setCookie(cookie(result.token, result.maxAgeS, ctx.client.secure));
      ctx.setCookie(cookie(result.device, DEVICE_TTL_S, ctx.client.secure, deviceName));
      return result.user;
    }),
  logout: sessionProcedure.meta(rule.self).mutation(async ({ ctx }) => {
    await logout(ctx.session.id);
    ctx.setCookie(cookie('', 0, ctx.client.secure));
    return { ok: true };
  }),
  me: publicProcedure.meta(rule.public).query(({ ctx }) => ctx.user),
  /** Single sign-on for the login page: the button's name and where it goes; null when off. */
  sso: publicProcedure.meta(rule.public).query(() => {
    const settings = oidcSettings(managerEnv());
    return settings ? { name: settings.name, startPath: OIDC_START_PATH } : null;
  }),
});
