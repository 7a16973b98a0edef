/**
 * Reboot, reset, pause/resume, suspend to disk (managed save) and start paused. Each is
 * idempotent: a verb re-sent after a reconnect finds the domain already where it wanted it and
 * answers with that, rather than failing or doing it twice.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, type DomainInfo, type DomainState, VireoError } from '@vireo/protocol';

type LifecycleMethod = 'vm.reboot' | 'vm.reset' | 'vm.pause' | 'vm.resume' | 'vm.save' | 'vm.startPaused';
type Handler<M extends LifecycleMethod> = (params: AgentParams<M>) => Promise<AgentResult<M>>;

const STOPPED: readonly DomainState[] = ['shutoff', 'crashed'];
const ACTIVE: readonly DomainState[] = ['running', 'paused', 'pmsuspended'];

export function vmLifecycleHandlers(hv: Hypervisor): { [M in LifecycleMethod]: Handler<M> } {
  const ops = hv.lifecycle;

  async function current(uuid: string): Promise<DomainInfo> {
    const d = await hv.domain(uuid);
    if (!d) throw new VireoError('NOT_FOUND', `No VM ${uuid} on this host.`, { object: 'vm' });
    return d;
  }

  /** The domain, if its state is one of `allowed`; else a clear INVALID_STATE. */
  async function inState(uuid: string, allowed: readonly DomainState[], verb: string): Promise<DomainInfo> {
    const d = await current(uuid);
    if (!allowed.includes(d.state)) {
      throw new VireoError('INVALID_STATE', `Cannot ${verb} the VM while it is ${d.state}.`, { object: 'vm' });
    }
    return d;
  }

  return {
    async 'vm.reboot'({ uuid }) {
      await inState(uuid, ['running'], 'reboot');
      await ops.reboot(uuid);
      return { domain: await current(uuid) };
    },

    async 'vm.reset'({ uuid }) {
      await inState(uuid, ACTIVE, 'reset');
      await ops.reset(uuid);
      return { domain: await current(uuid) };
    },

    async 'vm.pause'({ uuid }) {
      const d = await inState(uuid, ['running', 'paused'], 'pause');
      if (d.state === 'running') await ops.pause(uuid);
      return { domain: await current(uuid) };
    },

    async 'vm.resume'({ uuid }) {
      const d = await inState(uuid, ['running', 'paused', 'pmsuspended'], 'resume');
      if (d.state === 'pmsuspended') await ops.wakeup(uuid);
      else if (d.state === 'paused') await ops.resume(uuid);
      return { domain: await current(uuid) };
    },

    async 'vm.save'({ uuid }) {
      const d = await current(uuid);
      if (STOPPED.includes(d.state)) {
        // Saved already (a re-sent request): fine. Stopped without a save: nothing to save.
        if (await ops.hasManagedSave(uuid)) return { domain: d, managedSave: true };
        throw new VireoError('INVALID_STATE', `Cannot save the VM to disk while it is ${d.state}.`, { object: 'vm' });
      }
      await inState(uuid, ['running', 'paused'], 'save to disk');
      await ops.managedSave(uuid);
      return { domain: await current(uuid), managedSave: await ops.hasManagedSave(uuid) };
    },

    async 'vm.startPaused'({ uuid }) {
      const d = await inState(uuid, [...STOPPED, 'paused'], 'start');
      if (d.state !== 'paused') await ops.create(uuid, { paused: true });
      return { domain: await current(uuid) };
    },
  };
}
