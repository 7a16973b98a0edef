import { tasks } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { z } from 'zod';
import { toTaskView } from '../services/views.ts';
import { taskForViewer } from '../services/visibility.ts';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, authedProcedure, router, vmProcedure } from '../trpc.ts';

export const taskRouter = router({
  byId: authedProcedure
    .meta(rule.list('task'))
    .input(z.object({ taskId: z.string().min(1).max(64) }))
    .query(async ({ ctx, input }) => {
      const task = await tasks.byId(input.taskId);
      if (!task || (ctx.user.role !== 'admin' && task.ownerId !== ctx.user.id)) {
        throw new VireoError('NOT_FOUND', 'No such task, or it is not yours.', { object: 'task' });
      }
      return taskForViewer(toTaskView(task), ctx.user.role);
    }),
  list: authedProcedure
    .meta(rule.list('task'))
    .query(async ({ ctx }) =>
      (await tasks.listRecent({ ownerId: ctx.user.role === 'admin' ? undefined : ctx.user.id, limit: 50 })).map(
        (task) => taskForViewer(toTaskView(task), ctx.user.role),
      ),
    ),
  /** One VM's tasks, newest first (its page's "Tasks & events" tab): its owner and admins. */
  listForVm: vmProcedure
    .meta(rule.vm('view'))
    .query(async ({ ctx }) =>
      (await tasks.listRecent({ vmId: ctx.vm.id, limit: 50 })).map((task) =>
        taskForViewer(toTaskView(task), ctx.user.role),
      ),
    ),
  /** One host's tasks, newest first (its page): admins. */
  listForHost: adminProcedure
    .input(z.object({ hostId: z.string().min(1).max(64) }))
    .query(async ({ input }) => (await tasks.listRecent({ hostId: input.hostId, limit: 50 })).map(toTaskView)),
});
