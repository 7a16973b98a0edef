import { tasks } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { z } from 'zod';
import { toTaskView } from '../services/views.ts';
import { taskForViewer } from '../services/visibility.ts';
import { can } from '../services/permissions/can.ts';
import { rule } from '../services/permissions/rules.ts';
import { vmVisibility } from '../services/permissions/visibility.ts';
import { adminProcedure, authedProcedure, router, vmProcedure } from '../trpc.ts';

export const taskRouter = router({
  byId: authedProcedure
    .meta(rule.list('task'))
    .input(z.object({ taskId: z.string().min(1).max(64) }))
    .query(async ({ ctx, input }) => {
      const task = await tasks.byId(input.taskId);
      // Its own tasks, and those of VMs the user may see.
      const seen =
        task &&
        (task.ownerId === ctx.user.id || (task.vmId && (await can(ctx.user, 'view', { kind: 'vm', id: task.vmId }))));
      if (!task || (ctx.user.role !== 'admin' && !seen)) {
        throw new VireoError('NOT_FOUND', 'No such task, or it is not yours.', { object: 'task' });
      }
      return taskForViewer(toTaskView(task), ctx.user.role);
    }),
  list: authedProcedure
    .meta(rule.list('task'))
    .query(async ({ ctx }) =>
      (
        await tasks.listRecent({ visibleTo: { userId: ctx.user.id, vms: await vmVisibility(ctx.user) }, limit: 50 })
      ).map((task) => taskForViewer(toTaskView(task), ctx.user.role)),
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
    .meta(rule.on('view', 'host', 'hostId'))
    .input(z.object({ hostId: z.string().min(1).max(64) }))
    .query(async ({ input }) => (await tasks.listRecent({ hostId: input.hostId, limit: 50 })).map(toTaskView)),
});
