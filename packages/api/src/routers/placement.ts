import { z } from 'zod';
import { placementOfVm } from '../services/placement-record.ts';
import { adminProcedure, router } from '../trpc.ts';

/** Placement decisions (admins: they name hosts and their free memory). */
export const placementRouter = router({
  /** Why the VM was placed where it is: its create task's decision, or null if none was kept. */
  forVm: adminProcedure
    .input(z.object({ vmId: z.string().min(1).max(64) }))
    .query(({ input }) => placementOfVm(input.vmId)),
});
