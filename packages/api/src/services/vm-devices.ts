/**
 * NICs and CD-ROM drives of a VM after its create, as VM tasks. A NIC goes on a network of the
 * VM's host with a MAC Vireo chooses: its row is written first (the unique index keeps MACs
 * unique installation-wide) and removed if the host refuses the attach; a removed NIC's row goes
 * only once the host detached it. CD-ROM rows follow the host's answer.
 */
import { DbConflictError, networks, vmDevices, vmDisks, vmHardware } from '@vireo/db';
import {
  type CdromBus,
  formatFromName,
  MAX_VM_NICS,
  type NicModel,
  securityGroupFilterName,
  type VolumeRef,
  VireoError,
} from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { checkNetworksOffered } from './permissions/offered.ts';
import { publishVm } from './views.ts';
import type { VmRecord } from './vm-access.ts';
import { randomMac } from './vm-hardware.ts';
import { hostsForNics } from './vm-network.ts';
import { prepare, runVmTask } from './vm-service.ts';

const MAC_ATTEMPTS = 8;
/** The guest may take a while to give a NIC back; the agent waits 45 s for it. */
const DETACH_TIMEOUT_MS = 75_000;

export interface AddNicInput {
  network: string;
  model: NicModel;
  securityGroupId?: string | undefined;
}

async function checkNic(vm: VmRecord, input: AddNicInput): Promise<void> {
  if ((await vmDevices.nicCount(vm.id)) >= MAX_VM_NICS) {
    throw new VireoError('BAD_INPUT', `A VM has at most ${MAX_VM_NICS} network cards.`, { object: 'vm' });
  }
  const allowed = await hostsForNics([input.network]);
  if (allowed && vm.hostId && !allowed.has(vm.hostId)) {
    throw new VireoError('BAD_INPUT', `Network ${input.network} is not on host ${vm.hostName}.`, {
      object: 'network',
    });
  }
  if (input.securityGroupId && !(await networks.groupById(input.securityGroupId))) {
    throw new VireoError('NOT_FOUND', 'That security group does not exist (any more). Choose another.', {
      object: 'securityGroup',
    });
  }
}

/** Records the NIC with a fresh MAC (choosing again while one is taken); returns the MAC. */
async function reserveNic(vmId: string, position: number, input: AddNicInput): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const mac = randomMac();
    try {
      await vmDevices.addNic(vmId, {
        position,
        network: input.network,
        model: input.model,
        mac,
        securityGroupId: input.securityGroupId ?? null,
      });
      return mac;
    } catch (err) {
      if (!(err instanceof DbConflictError) || !err.fields.includes('mac') || attempt >= MAC_ATTEMPTS) throw err;
    }
  }
}

/** Adds a NIC: live and to the definition on a running VM, to the definition on a stopped one. */
export async function addNic(vm: VmRecord, user: UserView, input: AddNicInput): Promise<{ taskId: string }> {
  const agent = await prepare(vm, ['running', 'shutoff'], 'add a NIC to');
  await checkNetworksOffered(user, vm.projectId, [input.network]);
  await checkNic(vm, input);
  const taskId = await runVmTask(vm, 'vm.attachNic', user, async (progress) => {
    const position = await vmDevices.nextNicPosition(vm.id);
    const mac = await reserveNic(vm.id, position, input);
    progress(30, `Attaching NIC ${mac}`);
    let live: boolean;
    try {
      const nic = {
        network: input.network,
        model: input.model,
        mac,
        ...(input.securityGroupId ? { filter: securityGroupFilterName(input.securityGroupId) } : {}),
      };
      ({ live } = await agent.request('vm.attachNic', { uuid: vm.uuid, nic }));
    } catch (err) {
      await vmDevices.removeNic(vm.id, position);
      throw err;
    }
    await publishVm(vm.id);
    return live ? `Added NIC ${mac} to the running VM` : `Added NIC ${mac}`;
  });
  return { taskId };
}

/** Removes the NIC at `position`; its row goes once the host has detached it. */
export async function removeNic(vm: VmRecord, user: UserView, position: number): Promise<{ taskId: string }> {
  const nic = (await vmHardware.ofVm(vm.id))?.nics.find((n) => n.position === position);
  if (!nic) throw new VireoError('NOT_FOUND', `VM ${vm.name} has no NIC ${position + 1}.`, { object: 'vm' });
  const agent = await prepare(vm, ['running', 'shutoff'], 'remove a NIC from');
  const taskId = await runVmTask(vm, 'vm.detachNic', user, async (progress) => {
    progress(20, vm.state === 'running' ? 'Asking the guest to release the NIC' : 'Removing the NIC');
    await agent.request('vm.detachNic', { uuid: vm.uuid, mac: nic.mac }, { timeoutMs: DETACH_TIMEOUT_MS });
    await vmDevices.removeNic(vm.id, position);
    await publishVm(vm.id);
    return `Removed NIC ${nic.mac}`;
  });
  return { taskId };
}

/** Only admins insert named volumes (as at create), and only ISO images. */
function checkMedia(media: VolumeRef, user: UserView): void {
  if (user.role !== 'admin') {
    throw new VireoError('FORBIDDEN', 'Only administrators can insert images into a CD-ROM drive.', {
      object: 'disk',
    });
  }
  if (formatFromName(media.volume) !== 'iso') {
    throw new VireoError('BAD_INPUT', `${media.volume} is not an ISO image; choose a .iso volume.`, {
      object: 'volume',
    });
  }
}

/** Adds a CD-ROM drive to a stopped VM, empty or with an ISO image in it. */
export async function addCdrom(
  vm: VmRecord,
  user: UserView,
  input: { bus: CdromBus; media?: VolumeRef | undefined },
): Promise<{ taskId: string }> {
  const agent = await prepare(vm, ['shutoff'], 'add a CD-ROM drive to');
  if (input.media) checkMedia(input.media, user);
  const media = input.media;
  const taskId = await runVmTask(vm, 'vm.addCdrom', user, async () => {
    const made = await agent.request('vm.addCdrom', { uuid: vm.uuid, bus: input.bus, ...(media ? { media } : {}) });
    await vmDisks.add(vm.id, {
      position: await vmDisks.nextPosition(vm.id),
      pool: media?.pool ?? null,
      volume: media?.volume ?? null,
      path: made.path,
      device: 'cdrom',
      bus: input.bus,
      format: 'raw',
      sizeBytes: null,
      readOnly: true,
      owned: false,
    });
    await publishVm(vm.id);
    return `Added a CD-ROM drive (${made.target})`;
  });
  return { taskId };
}

/** Inserts an ISO image into the CD-ROM drive at `position` (null: ejects), live where it runs. */
export async function setCdromMedia(
  vm: VmRecord,
  user: UserView,
  position: number,
  media: VolumeRef | null,
): Promise<{ taskId: string }> {
  const drives = ((await vmHardware.ofVm(vm.id))?.disks ?? []).filter((d) => d.device === 'cdrom');
  const index = drives.findIndex((d) => d.position === position);
  if (index < 0) throw new VireoError('NOT_FOUND', `VM ${vm.name} has no CD-ROM drive there.`, { object: 'disk' });
  if (media) checkMedia(media, user);
  const agent = await prepare(vm, ['running', 'shutoff'], 'change the CD-ROM of');
  const taskId = await runVmTask(vm, media ? 'vm.insertCdrom' : 'vm.ejectCdrom', user, async () => {
    const r = await agent.request('vm.setCdromMedia', { uuid: vm.uuid, index, media });
    await vmDevices.setCdromMedia(vm.id, position, {
      pool: media?.pool ?? null,
      volume: media?.volume ?? null,
      path: r.path,
    });
    await publishVm(vm.id);
    return media ? `Inserted ${media.pool}/${media.volume}` : 'Ejected the CD-ROM';
  });
  return { taskId };
}
