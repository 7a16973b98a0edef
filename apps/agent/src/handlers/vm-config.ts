/**
 * Editing a VM's definition: vCPUs (with their maximum, for hot-plug), memory (with its maximum,
 * for ballooning) and name, through libvirt's setters on the persistent config; on a running VM
 * also vCPU hot-plug and the balloon within the maximums it started with.
 * A step libvirt refuses undoes the steps before it, so a failed edit leaves the domain as it was.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, VireoError } from '@vireo/protocol';
import type { Logger } from '../logger.ts';

type ConfigMethod = 'vm.editConfig' | 'vm.pendingConfig';
type Handler<M extends ConfigMethod> = (params: AgentParams<M>) => Promise<AgentResult<M>>;

export function vmConfigHandlers(hv: Hypervisor, logger: Logger): { [M in ConfigMethod]: Handler<M> } {
  return {
    async 'vm.editConfig'({ uuid, name, vcpus, maxVcpus, memoryMiB, maxMemoryMiB, description }) {
      const d = await hv.domain(uuid);
      if (!d) throw new VireoError('NOT_FOUND', `No VM ${uuid} on this host.`, { object: 'vm' });
      // A running VM's edit goes to its persistent definition, and vCPUs and memory within the
      // running domain's maximums also to the live domain (hot-plug, balloon). Maximums cannot
      // change live: libvirt keeps them apart until the next start (a reboot keeps them too).
      const stopped = d.state === 'shutoff' || d.state === 'crashed';
      if (!stopped && d.state !== 'running' && d.state !== 'paused') {
        throw new VireoError('INVALID_STATE', `Cannot edit the VM while it is ${d.state}.`, { object: 'vm' });
      }
      if (!stopped && name !== d.name) {
        throw new VireoError('INVALID_STATE', 'Stop the VM to rename it: libvirt renames only stopped domains.', {
          object: 'vm',
        });
      }
      if (name !== d.name && (await hv.listDomains()).some((x) => x.name === name && x.uuid !== uuid)) {
        throw new VireoError('CONFLICT', `A VM named ${name} already exists on this host.`, { object: 'vm' });
      }
      const was = await hv.config.limits(uuid);
      // The running domain's figures: its maximums were fixed when it started.
      const running = stopped ? null : await hv.config.limits(uuid, 'live');
      const undo: (() => Promise<void>)[] = [];
      const live: ('vcpus' | 'memory')[] = [];
      try {
        await hv.config.setVcpus(uuid, vcpus, maxVcpus);
        undo.push(() => hv.config.setVcpus(uuid, was.vcpus, was.maxVcpus));
        await hv.config.setMemory(uuid, memoryMiB, maxMemoryMiB);
        undo.push(() => hv.config.setMemory(uuid, was.memoryMiB, was.maxMemoryMiB));
        if (running && vcpus !== running.vcpus && vcpus <= running.maxVcpus) {
          await hv.config.setLiveVcpus(uuid, vcpus);
          undo.push(() => hv.config.setLiveVcpus(uuid, running.vcpus));
          live.push('vcpus');
        }
        if (running && memoryMiB !== running.memoryMiB && memoryMiB <= running.maxMemoryMiB) {
          await hv.config.setLiveMemory(uuid, memoryMiB);
          undo.push(() => hv.config.setLiveMemory(uuid, running.memoryMiB));
          live.push('memory');
        }
        if (description !== undefined) {
          const before = await hv.config.description(uuid);
          if (description !== before) {
            await hv.config.setDescription(uuid, description, !stopped);
            undo.push(() => hv.config.setDescription(uuid, before, !stopped));
          }
        }
        if (name !== d.name) await hv.config.rename(uuid, name);
      } catch (err) {
        for (const step of undo.reverse()) {
          await step().catch((e: unknown) =>
            logger.error('could not undo a step of a failed VM edit', { uuid, err: e }),
          );
        }
        throw err;
      }
      const after = await hv.domain(uuid);
      if (!after) throw new VireoError('NOT_FOUND', `VM ${uuid} disappeared while being edited.`, { object: 'vm' });
      // What still differs between the running domain and its definition waits for the next start.
      let pending = false;
      if (running) {
        const [now, next] = await Promise.all([hv.config.limits(uuid, 'live'), hv.config.limits(uuid)]);
        pending =
          now.maxVcpus !== next.maxVcpus ||
          now.maxMemoryMiB !== next.maxMemoryMiB ||
          (!live.includes('vcpus') && now.vcpus !== next.vcpus) ||
          (!live.includes('memory') && now.memoryMiB !== next.memoryMiB);
      }
      return { domain: after, maxVcpus, maxMemoryMiB, pending, live };
    },

    async 'vm.pendingConfig'({ uuid }) {
      const d = await hv.domain(uuid);
      if (!d) throw new VireoError('NOT_FOUND', `No VM ${uuid} on this host.`, { object: 'vm' });
      const [live, next] = await Promise.all([hv.config.limits(uuid, 'live'), hv.config.limits(uuid, 'config')]);
      return { state: d.state, live, next };
    },
  };
}
