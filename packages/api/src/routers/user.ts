import { z } from 'zod';
import { createUser } from '../services/auth-service.ts';
import {
  deleteUser,
  listUsersForAdmin,
  resetPassword,
  revokeSessions,
  setUserDisabled,
  setUserRole,
} from '../services/user-service.ts';
import { resetTotp } from '../services/totp-service.ts';
import { adminProcedure, router, sessionAdminProcedure } from '../trpc.ts';

const password = z.string().min(8, 'at least 8 characters.').max(256);
const userId = z.string().min(1).max(64);
const role = z.enum(['admin', 'user']);

/** User management needs an admin's browser session: an API token cannot create or change users. */
export const userRouter = router({
  list: adminProcedure.query(() => listUsersForAdmin()),
  create: sessionAdminProcedure
    .input(
      z.object({
        username: z
          .string()
          .trim()
          .regex(
            /^[a-z][a-z0-9_.-]{1,31}$/,
            '2–32 lower-case letters, digits, ".", "-" or "_", starting with a letter.',
          ),
        password,
        role,
      }),
    )
    .mutation(({ input }) => createUser(input)),
  /** Disabling ends the user's sessions at once and refuses their logins until enabled again. */
  setDisabled: sessionAdminProcedure
    .input(z.object({ userId, disabled: z.boolean() }))
    .mutation(({ ctx, input }) => setUserDisabled(ctx.user, input.userId, input.disabled)),
  setRole: sessionAdminProcedure
    .input(z.object({ userId, role }))
    .mutation(({ ctx, input }) => setUserRole(ctx.user, input.userId, input.role)),
  /** VMs go to `newOwnerId`; without it, a user who owns VMs is not deleted. */
  delete: sessionAdminProcedure
    .input(z.object({ userId, newOwnerId: userId.optional() }))
    .mutation(({ ctx, input }) => deleteUser(ctx.user, input.userId, input.newOwnerId)),
  /** The admin sets a new password; the user's sessions end. */
  resetPassword: sessionAdminProcedure
    .input(z.object({ userId, password }))
    .mutation(({ ctx, input }) => resetPassword(ctx.user, input.userId, input.password)),
  /** Turns off the user's TOTP (a lost phone): they log in with the password and may enrol again. */
  resetTotp: sessionAdminProcedure
    .input(z.object({ userId }))
    .mutation(({ ctx, input }) => resetTotp(ctx.user, input.userId)),
  revokeSessions: sessionAdminProcedure
    .input(z.object({ userId }))
    .mutation(({ ctx, input }) => revokeSessions(ctx.user, input.userId)),
});
