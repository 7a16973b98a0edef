import { z } from 'zod';
import { createUser, listUsers } from '../services/auth-service.ts';
import { adminProcedure, router } from '../trpc.ts';

export const userRouter = router({
  list: adminProcedure.query(() => listUsers()),
  create: adminProcedure
    .input(
      z.object({
        username: z
          .string()
          .trim()
          .regex(
            /^[a-z][a-z0-9_.-]{1,31}$/,
            '2–32 lower-case letters, digits, ".", "-" or "_", starting with a letter.',
          ),
        password: z.string().min(8, 'at least 8 characters.').max(256),
        role: z.enum(['admin', 'user']),
      }),
    )
    .mutation(({ input }) => createUser(input)),
});
