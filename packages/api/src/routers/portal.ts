import { portalOverview } from '../services/portal.ts';
import { rule } from '../services/permissions/rules.ts';
import { authedProcedure, router } from '../trpc.ts';

/** The self-service portal's own reads; its actions are the ordinary vm.* procedures. */
export const portalRouter = router({
  // The caller's own projects, and what is published to them.
  overview: authedProcedure.meta(rule.self).query(({ ctx }) => portalOverview(ctx.user)),
});
