import { hosts } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { z } from 'zod';
import { whatIfHostFails } from '../services/ha/decide.ts';
import { loadHaSnapshot } from '../services/ha/loader.ts';
import { adminProcedure, router } from '../trpc.ts';

/** High availability (issue 9), admins only: they name hosts, VMs and capacity. */
export const haRouter = router({
  /** "What if this host fails now?": the HA step on the cluster as it is, with this host dead. */
  whatIf: adminProcedure.input(z.object({ hostId: z.string().min(1).max(64) })).query(async ({ input }) => {
    const host = await hosts.byId(input.hostId);
    if (!host) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
    return whatIfHostFails(await loadHaSnapshot(host.clusterId), host.id);
  }),
});
