import { events } from '@vireo/db';
import { toEventView } from '../services/views.ts';
import { adminProcedure, router } from '../trpc.ts';

export const eventRouter = router({
  list: adminProcedure.query(async () => (await events.listRecent({ limit: 100 })).map(toEventView)),
});
