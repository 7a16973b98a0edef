import { portalOverview } from '../services/portal.ts';
import { authedProcedure, router } from '../trpc.ts';

/** The self-service portal's own reads; its actions are the ordinary vm.* procedures. */
export const portalRouter = router({
  overview: authedProcedure.query(({ ctx }) => portalOverview(ctx.user)),
});
