import { z } from 'zod';
import { objectId } from '../schemas/inventory.ts';
import { applyBalance, balancerStatus, previewBalance } from '../services/balancer/service.ts';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, router } from '../trpc.ts';

/** The load balancer per cluster (issue 8): admins only (plans name hosts and their load). */
export const balancerRouter = router({
  /** What-if preview: the moves it would make now, each explained, metric before → after. Nothing moves. */
  plan: adminProcedure
    .meta(rule.on('view', 'cluster', 'clusterId'))
    .input(z.object({ clusterId: objectId }))
    .query(({ ctx, input }) => previewBalance(input.clusterId, ctx.user)),
  /** Runs the previewed moves (or the plan of now) as migrations under one task; a stale plan is refused. */
  applyPlan: adminProcedure
    .input(
      z.object({
        clusterId: objectId,
        moves: z
          .array(z.object({ vmId: objectId, fromHostId: objectId, toHostId: objectId }))
          .max(50)
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => applyBalance(input.clusterId, input.moves, ctx.user)),
  /** The last run's or check's report (per-move outcome) and the running task, if any. */
  status: adminProcedure
    .meta(rule.on('view', 'cluster', 'clusterId'))
    .input(z.object({ clusterId: objectId }))
    .query(({ input }) => balancerStatus(input.clusterId)),
});
