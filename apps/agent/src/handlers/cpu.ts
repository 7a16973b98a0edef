/** The CPU a domain was given, for the manager's CPU-compatibility check before a migration. */
import type { Hypervisor } from '@vireo/hypervisor';
import type { AgentParams, AgentResult } from '@vireo/protocol';

export function cpuHandlers(hv: Hypervisor) {
  return {
    async 'vm.cpu'(params: AgentParams<'vm.cpu'>): Promise<AgentResult<'vm.cpu'>> {
      return hv.cpu.domainCpu(params.uuid);
    },
  };
}
