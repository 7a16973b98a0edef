/**
 * Showback and lease policy (issue 10): usage per project priced by the admins' prices
 * (services/showback.ts; CSV at edge/showback-export.ts), and each project's lease policy.
 */
import { z } from 'zod';
import { leasePolicy, setLeasePolicy } from '../services/lease-service.ts';
import { showbackReport } from '../services/showback.ts';
import { usage } from '@vireo/db';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';

export const showbackRangeInput = z
  .object({
    from: z.coerce.date(),
    to: z.coerce.date(),
    step: z.enum(['hour', 'day']).default('day'),
    /** One project ('' = the VMs outside any project; admins only); omitted: every visible one. */
    projectId: z.string().max(64).optional(),
  })
  .refine((r) => r.to.getTime() > r.from.getTime(), 'to must be after from')
  .refine((r) => r.to.getTime() - r.from.getTime() <= 400 * 86_400_000, 'at most 400 days at once')
  .refine(
    (r) => r.step === 'day' || r.to.getTime() - r.from.getTime() <= 31 * 86_400_000,
    'hourly steps for at most 31 days',
  );

const days = z.number().int().min(1).max(3650).nullable();
const policyInput = z.object({
  projectId: z.string().min(1).max(64),
  defaultDays: days,
  maxDays: days,
  graceDays: z.number().int().min(0).max(3650).nullable(),
  reminderDays: z.number().int().min(0).max(3650).nullable(),
});

const priceInput = z.object({
  currency: z
    .string()
    .trim()
    .regex(/^[A-Z]{3}$/, 'a three-letter currency code, e.g. EUR'),
  vcpuHour: z.number().min(0).max(1e6),
  memoryGiBHour: z.number().min(0).max(1e6),
  diskGiBHour: z.number().min(0).max(1e6),
});

export const showbackRouter = router({
  report: authedProcedure
    // Admins see every project; others the projects they may manage (services/showback).
    .meta(rule.signedIn)
    .input(showbackRangeInput)
    .query(({ ctx, input }) => showbackReport(ctx.user, input, input.projectId)),
  prices: authedProcedure.meta(rule.signedIn).query(() => usage.prices()),
  setPrices: adminProcedure.input(priceInput).mutation(({ input }) => usage.setPrices(input)),
  leasePolicy: authedProcedure
    .meta(rule.on('view', 'project', 'projectId'))
    .input(z.object({ projectId: z.string().min(1).max(64) }))
    .query(({ input }) => leasePolicy(input.projectId)),
  setLeasePolicy: adminProcedure
    .input(
      policyInput.refine(
        (p) => p.maxDays === null || p.defaultDays === null || p.maxDays >= p.defaultDays,
        'the longest lease cannot be shorter than the default one',
      ),
    )
    .mutation(({ input }) => {
      const { projectId, ...policy } = input;
      return setLeasePolicy(projectId, policy);
    }),
});
