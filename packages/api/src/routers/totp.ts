import { z } from 'zod';
import { beginTotp, disableTotp, enableTotp, totpStatus } from '../services/totp-service.ts';
import { authedProcedure, router } from '../trpc.ts';

const code = z.string().trim().min(1, 'Enter the code.').max(32);

/** The signed-in user's own TOTP second factor (issue 10); admins reset others' with user.resetTotp. */
export const totpRouter = router({
  status: authedProcedure.query(({ ctx }) => totpStatus(ctx.user.id)),
  begin: authedProcedure.mutation(({ ctx }) => beginTotp(ctx.user)),
  /** Confirms set-up with a current code; returns the recovery codes, shown this once. */
  enable: authedProcedure.input(z.object({ code })).mutation(({ ctx, input }) => enableTotp(ctx.user, input.code)),
  /** Needs the password or a current (or recovery) code. */
  disable: authedProcedure
    .input(z.union([z.object({ password: z.string().min(1).max(256) }), z.object({ code })]))
    .mutation(({ ctx, input }) => disableTotp(ctx.user, input, ctx.client.address)),
});
