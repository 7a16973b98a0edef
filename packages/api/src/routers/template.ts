import { templates } from '@vireo/db';
import { authedProcedure, router } from '../trpc.ts';

export const templateRouter = router({
  list: authedProcedure.query(() => templates.list()),
});
