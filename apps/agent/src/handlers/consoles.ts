/** Text consoles: the serial port's relay (serial-relay.ts). VNC's console.open is in handlers.ts. */
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, VireoError } from '@vireo/protocol';

export function consoleHandlers(
  hv: Hypervisor,
  openSerial: ((params: AgentParams<'console.openSerial'>) => Promise<void>) | undefined,
) {
  return {
    async 'console.openSerial'(params: AgentParams<'console.openSerial'>): Promise<AgentResult<'console.openSerial'>> {
      if (!openSerial) throw new VireoError('INVALID_STATE', 'This agent relays no serial consoles.', { object: 'vm' });
      if (!(await hv.domain(params.uuid))) {
        throw new VireoError('NOT_FOUND', `No domain ${params.uuid} on this host.`, { object: 'vm' });
      }
      await openSerial(params);
      return {};
    },
  };
}
