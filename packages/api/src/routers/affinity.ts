import { affinityGroupInput, affinityHostsInput, affinityMembersInput, groupIdInput } from '../schemas/affinity.ts';
import { addMembers, createGroup, deleteGroup, listGroups, removeMembers, setHosts } from '../services/affinity.ts';
import { adminProcedure, router } from '../trpc.ts';

/** Affinity groups (admins): VMs placement keeps together or apart. */
export const affinityRouter = router({
  list: adminProcedure.query(() => listGroups()),
  create: adminProcedure.input(affinityGroupInput).mutation(({ input }) => createGroup(input)),
  delete: adminProcedure.input(groupIdInput).mutation(({ input }) => deleteGroup(input.groupId)),
  addVms: adminProcedure.input(affinityMembersInput).mutation(({ input }) => addMembers(input.groupId, input.vmIds)),
  removeVms: adminProcedure
    .input(affinityMembersInput)
    .mutation(({ input }) => removeMembers(input.groupId, input.vmIds)),
  /** The VM-to-host rule: the hosts members go to (affinity) or keep off (anti-affinity). */
  setHosts: adminProcedure.input(affinityHostsInput).mutation(({ input }) => setHosts(input.groupId, input.hostIds)),
});
