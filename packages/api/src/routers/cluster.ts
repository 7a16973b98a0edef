import { listManagers } from '../services/cluster.ts';
import { adminProcedure, router } from '../trpc.ts';

export const clusterRouter = router({
  /** Which manager answered, and every live manager of the installation (admins). */
  self: adminProcedure.query(() => listManagers()),
});
