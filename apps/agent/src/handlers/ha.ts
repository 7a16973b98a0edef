/**
 * High availability (issue 9, protocol in packages/protocol/src/methods/ha.ts): storage heartbeat
 * and self-fencing (ha/heartbeat.ts), restart from the shared domain XML copy (ha/restart.ts).
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, VireoError } from '@vireo/protocol';
import type { Heartbeat } from '../ha/heartbeat.ts';
import { haRestart } from '../ha/restart.ts';
import type { Logger } from '../logger.ts';

export interface HaHandlerDeps {
  vmStorageDir: string;
  logger: Logger;
  /** Absent in agents run without a heartbeat (unit tests): ha.configure is refused then. */
  heartbeat?: Heartbeat | undefined;
}

export function haHandlers(hv: Hypervisor, deps: HaHandlerDeps) {
  return {
    async 'ha.configure'(params: AgentParams<'ha.configure'>): Promise<AgentResult<'ha.configure'>> {
      if (!deps.heartbeat) throw new VireoError('INTERNAL', 'This agent runs no HA heartbeat.');
      await deps.heartbeat.configure(params);
      return {};
    },
    async 'ha.restart'({ uuid }: AgentParams<'ha.restart'>): Promise<AgentResult<'ha.restart'>> {
      return haRestart(hv, deps.vmStorageDir, uuid, deps.logger);
    },
  };
}
