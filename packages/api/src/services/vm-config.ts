/**
 * Editing a stopped VM: name, vCPUs (with a maximum) and memory (with a maximum). The host
 * changes the domain's definition first; the VM row follows the figures libvirt then reports, so
 * a refused edit changes nothing in Vireo's records.
 */
import { vms } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import type { VmRecord } from './vm-access.ts';
import { prepare, runVmTask } from './vm-service.ts';
import { publishVm } from './views.ts';

export interface VmEditInput {
  name: string;
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
}

export async function editVm(vm: VmRecord, user: UserView, input: VmEditInput): Promise<{ taskId: string }> {
  const agent = await prepare(vm, ['shutoff', 'crashed'], 'edit');
  const taken = input.name !== vm.name ? await vms.byName(input.name) : null;
  if (taken && taken.id !== vm.id) {
    throw new VireoError('CONFLICT', `A VM named ${input.name} already exists.`, { object: 'vm' });
  }
  const taskId = await runVmTask(vm, 'vm.editConfig', user, async () => {
    const { domain } = await agent.request('vm.editConfig', { uuid: vm.uuid, ...input });
    await vms.applyFacts(vm.uuid, { name: domain.name, vcpus: domain.vcpus, memoryMiB: domain.memoryMiB });
    await publishVm(vm.id);
    return `Now ${domain.vcpus} vCPUs (max ${input.maxVcpus}), ${domain.memoryMiB} MiB (max ${input.maxMemoryMiB} MiB)`;
  });
  return { taskId };
}
