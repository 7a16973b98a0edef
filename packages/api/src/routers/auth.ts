import { VireoError } from '@vireo/protocol';
import { z } from 'zod';
import { SESSION_COOKIE } from '../context.ts';
import { login, logout } from '../services/auth-service.ts';
import { authedProcedure, publicProcedure, router } from '../trpc.ts';

function cookie(value: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}`;
}

export const authRouter = router({
  login: publicProcedure
    .input(z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) }))
    .mutation(async ({ ctx, input }) => {
      const result = await login(input.username, input.password);
      if (!result) throw new VireoError('UNAUTHORIZED', 'Wrong username or password.');
      ctx.setCookie(cookie(result.token, result.maxAgeS));
      return result.user;
    }),
  logout: authedProcedure.mutation(async ({ ctx }) => {
    await logout(ctx.session.id);
    ctx.setCookie(cookie('', 0));
    return { ok: true };
  }),
  me: publicProcedure.query(({ ctx }) => ctx.user),
});
