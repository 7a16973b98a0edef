/**
 * Firmware (BIOS or UEFI) and per-device boot order of a stopped VM, as a VM task. The host
 * redefines the domain first; the rows follow what its definition then holds, so a refused
 * change leaves both libvirt and Vireo's records as they were.
 */
import { type BootEntryRow, vmHardware } from '@vireo/db';
import { type BootDeviceRef, type Firmware, UEFI_MIN_MEMORY_MIB, VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { publishVm } from './views.ts';
import type { VmRecord } from './vm-access.ts';
import { prepare, runVmTask } from './vm-service.ts';

export interface VmBootInput {
  firmware: Firmware;
  /** Devices by their row position, first boots first. */
  order: BootEntryRow[];
}

const label = (e: BootEntryRow) => `${e.kind === 'disk' ? 'drive' : 'NIC'} ${e.position}`;

export async function editBoot(vm: VmRecord, user: UserView, input: VmBootInput): Promise<{ taskId: string }> {
  if (vm.state !== 'shutoff' && vm.state !== 'crashed') {
    throw new VireoError(
      'INVALID_STATE',
      `Stop VM ${vm.name} first: its firmware and boot order change only while it is off.`,
      { object: 'vm' },
    );
  }
  if (input.firmware === 'uefi' && vm.memoryMiB < UEFI_MIN_MEMORY_MIB) {
    throw new VireoError(
      'BAD_INPUT',
      `UEFI (OVMF) needs at least ${UEFI_MIN_MEMORY_MIB} MiB of memory; VM ${vm.name} has ${vm.memoryMiB} MiB.`,
      { object: 'vm' },
    );
  }
  const hw = await vmHardware.ofVm(vm.id);
  if (!hw) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  const seen = new Set<string>();
  const refs: BootDeviceRef[] = input.order.map((e) => {
    if (seen.has(label(e)))
      throw new VireoError('BAD_INPUT', `The boot order names ${label(e)} twice.`, { object: 'vm' });
    seen.add(label(e));
    if (e.kind === 'nic') {
      const nic = hw.nics.find((n) => n.position === e.position);
      if (!nic) throw new VireoError('BAD_INPUT', `VM ${vm.name} has no ${label(e)}.`, { object: 'vm' });
      return { kind: 'nic', mac: nic.mac };
    }
    // Rows are in the domain's drive order, with gaps where a disk was removed.
    const index = hw.disks.findIndex((d) => d.position === e.position);
    const disk = hw.disks[index];
    if (!disk) throw new VireoError('BAD_INPUT', `VM ${vm.name} has no ${label(e)}.`, { object: 'vm' });
    return { kind: 'disk', index, path: disk.path };
  });
  const agent = await prepare(vm, ['shutoff', 'crashed'], 'change the firmware or boot order of');
  const taskId = await runVmTask(vm, 'vm.setBoot', user, async () => {
    const done = await agent.request('vm.setBoot', { uuid: vm.uuid, firmware: input.firmware, order: refs });
    const order = done.order.flatMap((r): BootEntryRow[] => {
      const position = r.kind === 'disk' ? hw.disks[r.index]?.position : hw.nics.find((n) => n.mac === r.mac)?.position;
      return position === undefined ? [] : [{ kind: r.kind, position }];
    });
    await vmHardware.setBoot(vm.id, done.firmware, order);
    await publishVm(vm.id);
    return `Firmware ${done.firmware.toUpperCase()}; boot order: ${order.map(label).join(', ')}`;
  });
  return { taskId };
}
