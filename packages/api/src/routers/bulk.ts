import { z } from 'zod';
import { bulkPlanInput, bulkRunInput, savedSearchInput } from '../schemas/bulk.ts';
import { tagNameSchema } from '../schemas/tags.ts';
import { bulkJobItems, planBulkJob, runBulkJob } from '../services/bulk-service.ts';
import { addTag, deleteSearch, listSearches, removeTag, saveSearch, tagsInUse } from '../services/tags-service.ts';
import { rule } from '../services/permissions/rules.ts';
import { authedProcedure, router, vmProcedure } from '../trpc.ts';

export const bulkRouter = router({
  /** The dry run: which VMs, what happens to each, which are skipped and why. Changes nothing. */
  plan: authedProcedure
    .meta(rule.signedIn)
    .input(bulkPlanInput)
    .query(({ ctx, input }) => planBulkJob(ctx.user, input)),
  /** Runs the job as one task (kind `vm.bulk`); refused if the dry run no longer holds. */
  run: authedProcedure
    .meta(rule.signedIn)
    .input(bulkRunInput)
    .mutation(({ ctx, input }) => runBulkJob(ctx.user, input)),
  /** A job's per-VM lines: planned, then running and their outcomes. */
  items: authedProcedure
    .meta(rule.self)
    .input(z.object({ taskId: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => bulkJobItems(ctx.user, input.taskId)),
});

export const tagRouter = router({
  /** Tags on the VMs the caller may see, with how many VMs have each. */
  list: authedProcedure.meta(rule.list('tag')).query(({ ctx }) => tagsInUse(ctx.user)),
  add: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ tag: tagNameSchema }))
    .mutation(({ ctx, input }) => addTag(ctx.vm, input.tag, ctx.user)),
  remove: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ tag: tagNameSchema }))
    .mutation(({ ctx, input }) => removeTag(ctx.vm, input.tag, ctx.user)),
});

export const savedSearchRouter = router({
  list: authedProcedure.meta(rule.self).query(({ ctx }) => listSearches(ctx.user)),
  /** Saves the filter under this name (replacing the caller's search of the same name). */
  save: authedProcedure
    .meta(rule.self)
    .input(savedSearchInput)
    .mutation(({ ctx, input }) => saveSearch(ctx.user, input.name, input.filter)),
  delete: authedProcedure
    .meta(rule.self)
    .input(z.object({ id: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => deleteSearch(ctx.user, input.id)),
});
