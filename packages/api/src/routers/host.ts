import { evacuateAndRemove, removalPlan } from '../services/host-removal.ts';
import { z } from 'zod';
import {
  allowReinstall,
  cancelReinstall,
  createEnrollmentToken,
  listEnrollment,
  listHosts,
  removeHost,
  revokeEnrollmentToken,
} from '../services/host-service.ts';
import {
  cancelMaintenance,
  enterMaintenance,
  exitMaintenance,
  maintenancePlan,
  maintenanceStatus,
} from '../services/host-maintenance.ts';
import { hostHistory } from '../services/stats-history.ts';
import { statsRangeInput } from '../schemas/stats.ts';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, router, sessionAdminProcedure } from '../trpc.ts';

const id = z.string().min(1).max(64);

export const hostRouter = router({
  list: adminProcedure.meta(rule.list('host')).query(({ ctx }) => listHosts(ctx.user)),
  /** CPU, memory, disk and network I/O over a range (1h, 24h, 7d, 30d), oldest point first. */
  statsHistory: adminProcedure
    .meta(rule.on('view', 'host', 'hostId'))
    .input(z.object({ hostId: id, range: statsRangeInput }))
    .query(({ input }) => hostHistory(input.hostId, input.range)),
  /** A one-time token an agent exchanges for its host credential (valid VIREO_ENROLLMENT_TOKEN_TTL_H). */
  // Enrollment tokens and re-install grants let a machine become a host: new access, so never
  // through an API token (a leaked token must not enroll a rogue host).
  createEnrollmentToken: sessionAdminProcedure.mutation(({ ctx }) => createEnrollmentToken(ctx.user.id)),
  /** Recent tokens (never their secrets) and the open re-install grants. */
  enrollment: adminProcedure.query(() => listEnrollment()),
  revokeEnrollmentToken: adminProcedure
    .input(z.object({ tokenId: id }))
    .mutation(({ input }) => revokeEnrollmentToken(input.tokenId)),
  /** Lets an enrollment token re-enroll this host (replacing its credential) for a limited time. */
  allowReinstall: sessionAdminProcedure
    .input(z.object({ hostId: id }))
    .mutation(({ ctx, input }) => allowReinstall(input.hostId, ctx.user)),
  /** Removes a host that is offline and has no VMs (a decommissioned or dead machine). */
  /**
   * Refused while online (unless evacuated) or with VMs recorded on it; `force` (offline hosts):
   * their records stay without a host, nothing on the machine is touched (removalPlan says so).
   */
  remove: adminProcedure
    .input(z.object({ hostId: id, force: z.boolean().optional() }))
    .mutation(({ ctx, input }) => removeHost(input.hostId, ctx.user, { force: input.force })),
  /** The VMs a removal concerns and what force would do to them. */
  removalPlan: adminProcedure
    .meta(rule.on('view', 'host', 'hostId'))
    .input(z.object({ hostId: id }))
    .query(({ input }) => removalPlan(input.hostId)),
  /** Maintenance, then the removal of the emptied host: `{ taskId }`. */
  evacuateAndRemove: adminProcedure
    .input(z.object({ hostId: id }))
    .mutation(({ ctx, input }) => evacuateAndRemove(input.hostId, ctx.user)),
  /** Maintenance mode: the state, the latest job and its per-VM report, the VMs still on the host. */
  maintenance: adminProcedure
    .meta(rule.on('view', 'host', 'hostId'))
    .input(z.object({ hostId: id }))
    .query(({ input }) => maintenanceStatus(input.hostId)),
  /** Dry run: where each VM would go (placement plus migration pre-checks), or why it cannot. */
  maintenancePlan: adminProcedure
    .meta(rule.on('view', 'host', 'hostId'))
    .input(z.object({ hostId: id }))
    .query(({ ctx, input }) => maintenancePlan(input.hostId, ctx.user)),
  /**
   * Moves every VM away (a task), then the host is in maintenance. `stopBlocked`: stop VMs that
   * cannot move running; `force`: mark it in maintenance now, leaving its VMs where they are.
   */
  enterMaintenance: adminProcedure
    .meta(rule.on('manage', 'host', 'hostId'))
    .input(z.object({ hostId: id, stopBlocked: z.boolean().optional(), force: z.boolean().optional() }))
    .mutation(({ ctx, input }) => enterMaintenance(input.hostId, input, ctx.user)),
  exitMaintenance: adminProcedure
    .meta(rule.on('manage', 'host', 'hostId'))
    .input(z.object({ hostId: id }))
    .mutation(({ ctx, input }) => exitMaintenance(input.hostId, ctx.user)),
  /** While entering: stop moving VMs after the migrations in flight; the host returns to normal. */
  cancelMaintenance: adminProcedure
    .meta(rule.on('manage', 'host', 'hostId'))
    .input(z.object({ hostId: id }))
    .mutation(({ ctx, input }) => cancelMaintenance(input.hostId, ctx.user)),
  cancelReinstall: adminProcedure
    .input(z.object({ hostId: id }))
    .mutation(({ ctx, input }) => cancelReinstall(input.hostId, ctx.user)),
});
