import { flavors } from '@vireo/db';
import { memoryMiBSchema, vcpusSchema } from '@vireo/protocol';
import { VireoError } from '@vireo/protocol';
import { z } from 'zod';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';

const flavorInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Give the flavor a name.')
    .max(40, 'A flavor name has at most 40 characters.')
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'A flavor name holds letters, digits, spaces, ".", "_" and "-".'),
  description: z.string().trim().max(200).default(''),
  vcpus: vcpusSchema,
  memoryMiB: memoryMiBSchema,
  sortOrder: z.number().int().min(0).max(1000).default(0),
});

/** The sizes the self-service portal offers (issue 10). */
export const flavorRouter = router({
  list: authedProcedure.meta(rule.signedIn).query(() => flavors.list()),
  create: adminProcedure.input(flavorInput).mutation(({ input }) => flavors.create(input)),
  update: adminProcedure
    .input(z.object({ flavorId: z.string().min(1).max(64) }).extend(flavorInput.partial().shape))
    .mutation(async ({ input: { flavorId, ...change } }) => {
      if (!(await flavors.byId(flavorId))) throw new VireoError('NOT_FOUND', 'No such flavor.');
      return flavors.update(flavorId, change);
    }),
  remove: adminProcedure
    .input(z.object({ flavorId: z.string().min(1).max(64) }))
    .mutation(async ({ input }) => ({ removed: await flavors.remove(input.flavorId) })),
});
