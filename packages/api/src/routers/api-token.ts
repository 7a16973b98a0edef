import { API_TOKEN_SCOPES } from '@vireo/db';
import { z } from 'zod';
import { MAX_TOKEN_DAYS } from '../services/api-token-policy.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../services/api-token-service.ts';
import { rule } from '../services/permissions/rules.ts';
import { router, sessionProcedure } from '../trpc.ts';

/**
 * Personal API tokens. Every procedure needs a browser session: a token cannot list, create or
 * revoke tokens, so a leaked one cannot mint itself a successor.
 */
export const apiTokenRouter = router({
  list: sessionProcedure
    .meta(rule.self)
    .input(z.object({ all: z.boolean().default(false) }).optional())
    .query(({ ctx, input }) => listApiTokens(ctx.user, input?.all ?? false)),
  /** The token is in the answer once; only its hash is kept. */
  create: sessionProcedure
    .meta(rule.self)
    .input(
      z.object({
        name: z.string().trim().min(1, 'Name the token.').max(64),
        scope: z.enum(API_TOKEN_SCOPES),
        expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS, `At most ${MAX_TOKEN_DAYS} days.`),
      }),
    )
    .mutation(({ ctx, input }) => createApiToken(ctx.user, input)),
  revoke: sessionProcedure
    .meta(rule.self)
    .input(z.object({ tokenId: z.string().min(1).max(128) }))
    .mutation(({ ctx, input }) => revokeApiToken(ctx.user, input.tokenId)),
});
