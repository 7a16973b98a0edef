/**
 * A VM's lease (issue 10): spread into the `vm` router, so `vm.lease`, `vm.setLease`,
 * `vm.extendLease`. The VM's owner and admins act (vmProcedure), always within the project's
 * lease policy (services/lease-service.ts).
 */
import { z } from 'zod';
import { extendLease, leaseView, setLease } from '../services/lease-service.ts';
import { rule } from '../services/permissions/rules.ts';
import { vmProcedure } from '../trpc.ts';

export const vmLeaseProcedures = {
  /** The expiry, reminder and deletion times, the policy and how far an extension may go. */
  lease: vmProcedure.meta(rule.vm('view')).query(({ ctx }) => leaseView(ctx.vm.id)),
  /** A new expiry (null: no lease, admins only where the project imposes none). */
  setLease: vmProcedure
    .meta(rule.vm('edit'))
    .input(
      z.object({
        expiresAt: z.coerce
          .date({ error: 'expiresAt must be a date and time, e.g. 2026-12-31T18:00:00Z (or null for no expiry).' })
          .nullable(),
      }),
    )
    .mutation(({ ctx, input }) => setLease(ctx.vm, input.expiresAt, ctx.user)),
  /** Extends by whole days from the current expiry (from now once expired). */
  extendLease: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ days: z.number().int().min(1).max(3650) }))
    .mutation(({ ctx, input }) => extendLease(ctx.vm, input.days, ctx.user)),
};
