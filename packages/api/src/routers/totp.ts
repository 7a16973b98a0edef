import { z } from 'zod';
import { beginTotp, disableTotp, enableTotp, totpStatus } from '../services/totp-service.ts';
import { rule } from '../services/permissions/rules.ts';
import { authedProcedure, router, sessionProcedure } from '../trpc.ts';

/** A TOTP or recovery code; named so the audit log redacts it (services/audit/redact.ts). */
const passcode = z.string().trim().min(1, 'Enter the code.').max(32);

/**
 * The signed-in user's own TOTP second factor (issue 10); admins reset others' with
 * user.resetTotp. Changes need a browser session: an API token must not turn a second factor
 * off or enrol a phone of its own.
 */
export const totpRouter = router({
  status: authedProcedure.meta(rule.self).query(({ ctx }) => totpStatus(ctx.user.id)),
  begin: sessionProcedure.meta(rule.self).mutation(({ ctx }) => beginTotp(ctx.user)),
  /** Confirms set-up with a current code; returns the recovery codes, shown this once. */
  enable: sessionProcedure
    .meta(rule.self)
    .input(z.object({ passcode }))
    .mutation(({ ctx, input }) => enableTotp(ctx.user, input.passcode)),
  /** Needs the password or a current (or recovery) code. */
  disable: sessionProcedure
    .meta(rule.self)
    .input(z.union([z.object({ password: z.string().min(1).max(256) }), z.object({ passcode })]))
    .mutation(({ ctx, input }) =>
      disableTotp(
        ctx.user,
        'password' in input ? { password: input.password } : { code: input.passcode },
        ctx.client.address,
      ),
    ),
});
