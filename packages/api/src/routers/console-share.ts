import { z } from 'zod';
import {
  createShareLink,
  listShareLinks,
  revokeShareLink,
  SHARE_MAX_MINUTES,
  SHARE_MIN_MINUTES,
} from '../services/console-share.ts';
import { rule } from '../services/permissions/rules.ts';
import { authedProcedure, router, sessionProcedure } from '../trpc.ts';

const vmId = z.string().min(1).max(128);

/** View-only console share links of one VM: for whoever may operate it (console-share.ts). */
export const consoleShareRouter = router({
  list: authedProcedure
    .meta(rule.vm('operate'))
    .input(z.object({ vmId }))
    .query(({ input }) => listShareLinks(input.vmId)),
  /**
   * The token is in the answer once; only its hash is kept. A link is new access that needs no
   * login: never made through an API token (a leaked token must not mint more access).
   */
  create: sessionProcedure
    .meta(rule.vm('operate'))
    .input(
      z.object({
        vmId,
        expiresInMinutes: z
          .number()
          .int()
          .min(SHARE_MIN_MINUTES, `At least ${SHARE_MIN_MINUTES} minutes.`)
          .max(SHARE_MAX_MINUTES, 'At most 7 days.'),
      }),
    )
    .mutation(({ ctx, input }) => createShareLink(ctx.user, input.vmId, input.expiresInMinutes)),
  revoke: authedProcedure
    // The link names its VM; the service checks 'operate' on it (assertCan).
    .meta(rule.signedIn)
    .input(z.object({ linkId: z.string().min(1).max(128) }))
    .mutation(({ ctx, input }) => revokeShareLink(ctx.user, input.linkId)),
});
