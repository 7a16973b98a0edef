import { events } from '@vireo/db';
import { adminProcedure, router } from '../trpc.ts';

export const eventRouter = router({
  list: adminProcedure.query(() => events.listRecent({ limit: 100 })),
});
