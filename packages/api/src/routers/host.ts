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
import { hostHistory } from '../services/stats-history.ts';
import { statsRangeInput } from '../schemas/stats.ts';
import { adminProcedure, router } from '../trpc.ts';

const id = z.string().min(1).max(64);

export const hostRouter = router({
  list: adminProcedure.query(() => listHosts()),
  /** CPU, memory, disk and network I/O over a range (1h, 24h, 7d, 30d), oldest point first. */
  statsHistory: adminProcedure
    .input(z.object({ hostId: id, range: statsRangeInput }))
    .query(({ input }) => hostHistory(input.hostId, input.range)),
  /** A one-time token an agent exchanges for its host credential (valid VIREO_ENROLLMENT_TOKEN_TTL_H). */
  createEnrollmentToken: adminProcedure.mutation(({ ctx }) => createEnrollmentToken(ctx.user.id)),
  /** Recent tokens (never their secrets) and the open re-install grants. */
  enrollment: adminProcedure.query(() => listEnrollment()),
  revokeEnrollmentToken: adminProcedure
    .input(z.object({ tokenId: id }))
    .mutation(({ input }) => revokeEnrollmentToken(input.tokenId)),
  /** Lets an enrollment token re-enroll this host (replacing its credential) for a limited time. */
  allowReinstall: adminProcedure
    .input(z.object({ hostId: id }))
    .mutation(({ ctx, input }) => allowReinstall(input.hostId, ctx.user)),
  /** Removes a host that is offline and has no VMs (a decommissioned or dead machine). */
  remove: adminProcedure
    .input(z.object({ hostId: id }))
    .mutation(({ ctx, input }) => removeHost(input.hostId, ctx.user)),
  cancelReinstall: adminProcedure
    .input(z.object({ hostId: id }))
    .mutation(({ ctx, input }) => cancelReinstall(input.hostId, ctx.user)),
});
