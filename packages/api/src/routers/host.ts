import { listHosts, createEnrollmentToken } from '../services/host-service.ts';
import { adminProcedure, router } from '../trpc.ts';

export const hostRouter = router({
  list: adminProcedure.query(() => listHosts()),
  /** A one-time token an agent exchanges for its host credential (valid 24 h). */
  createEnrollmentToken: adminProcedure.mutation(() => createEnrollmentToken()),
});
