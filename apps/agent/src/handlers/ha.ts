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
    async 'ha.forget'({ uuid }: AgentParams<'ha.forget'>): Promise<AgentResult<'ha.forget'>> {
      const d = await hv.domain(uuid);
      if (!d) return { removed: false };
      // Only a definition that runs nothing: a running copy here would be a second run, for the
      // lock manager and an admin, never to be removed under a guest.
      if (d.state !== 'shutoff' && d.state !== 'crashed') {
        throw new VireoError('INVALID_STATE', `VM ${d.name} is ${d.state} on this host; it is not a stale copy.`, {
          object: 'vm',
        });
      }
      await hv.undefineDomain(uuid, { keepNvram: true });
      deps.logger.info('removed the stale definition of a VM that HA restarted on another host', {
        uuid,
        name: d.name,
      });
      return { removed: true };
    },
  };
}
