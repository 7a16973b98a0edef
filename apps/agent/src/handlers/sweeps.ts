/** Answers for the manager's sweeps of what Vireo left on this host and no longer owns. */
import type { Hypervisor } from '@vireo/hypervisor';
import type { AgentParams, AgentResult } from '@vireo/protocol';

export function sweepHandlers(hv: Hypervisor) {
  return {
    async 'filter.list'(_params: AgentParams<'filter.list'>): Promise<AgentResult<'filter.list'>> {
      return { names: (await hv.networks.listFilters()).filter((n) => n.startsWith('vireo-')) };
    },
  };
}
