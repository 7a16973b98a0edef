/**
 * A new VM's hardware: the rows (VmDisk, VmNic) Vireo records before asking the host, the
 * hardware part of the agent's vm.create, and what the host reports back. Volume names and MACs
 * are chosen here, so a re-sent request makes nothing twice and MACs stay unique across the
 * installation (the VmNic.mac unique index; a clash picks new MACs and tries again).
 */
import { randomBytes } from 'node:crypto';
import {
  DbConflictError,
  type TemplateDiskRow,
  type TemplateNicRow,
  type VmDiskRow,
  type VmNicRow,
  vmHardware,
} from '@vireo/db';
import {
  type CloudInitSeed,
  type CreatedHardware,
  type DiskFormat,
  securityGroupFilterName,
  type VmDisk,
  type VmHardware,
  type VolumeRef,
  VireoError,
} from '@vireo/protocol';
import type { CreateVmInput, DiskInput } from '../schemas/vm.ts';
import type { UserView, VmHardwareView } from '../views.ts';
import { nicNetworkFacts } from './vm-network.ts';

const MAC_ATTEMPTS = 8;

/** A random MAC in QEMU's locally administered range 52:54:00:xx:xx:xx. */
export function randomMac(): string {
  const [a, b, c] = randomBytes(3);
  return ['52', '54', '00', a, b, c]
    .map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x))
    .join(':');
}

export interface HardwarePlan {
  firmware: 'bios' | 'uefi';
  /** A kernel template's overlay is drive 0, made by the agent outside the hardware request. */
  overlay: boolean;
  /** Every drive: a kernel template's overlay or a disk template's disks first. */
  disks: (VmDiskRow & { provision: VmDisk['provision'] })[];
  nics: Omit<VmNicRow, 'mac'>[];
  cloudInit?: CloudInitSeed;
}

/** Only admins attach, clone or copy named volumes: they may hold someone else's data. */
export function checkSource(d: DiskInput, user: Pick<UserView, 'role'>): void {
  if (user.role === 'admin' || d.source.kind === 'blank' || d.source.kind === 'empty') return;
  throw new VireoError('FORBIDDEN', 'Only administrators can attach, clone or copy existing volumes.', {
    object: 'disk',
  });
}

function provisionOf(d: DiskInput): VmDisk['provision'] {
  const s = d.source;
  if (s.kind === 'blank') return { kind: 'blank', sizeBytes: s.sizeBytes };
  if (s.kind === 'linkedFrom') return { kind: 'linkedFrom', base: s.base };
  if (s.kind === 'copyFrom') return { kind: 'copyFrom', source: s.source };
  if (s.kind === 'existing') return { kind: 'existing' };
  return { kind: 'empty' };
}

/** A disk template version as a new VM uses it: linked clones (default) or full copies of its disks. */
export interface TemplateSource {
  firmware: 'bios' | 'uefi';
  disks: TemplateDiskRow[];
  nics: TemplateNicRow[];
  diskMode: 'linked' | 'full';
}

/**
 * A disk template's disks for a new VM. Everyone may clone a template's bases (that is what a
 * template is for); a linked clone is always qcow2, a full copy keeps the base's format.
 */
function templateDisks(uuid: string, t: TemplateSource): HardwarePlan['disks'] {
  return t.disks.map((d, position): HardwarePlan['disks'][number] => {
    const format: DiskFormat = t.diskMode === 'linked' ? 'qcow2' : d.format;
    const base = { pool: d.pool, volume: d.volume };
    return {
      position,
      pool: d.pool,
      volume: `${uuid}-disk${position}.${format}`,
      path: null,
      device: 'disk',
      bus: d.bus,
      format,
      sizeBytes: null,
      readOnly: false,
      owned: true,
      provision: t.diskMode === 'linked' ? { kind: 'linkedFrom', base } : { kind: 'copyFrom', source: base },
    };
  });
}

/**
 * The rows of a new VM's hardware; volumes Vireo makes are named after the VM's uuid. Without
 * `template` the VM is made from a kernel template (its overlay is drive 0).
 */
export function planHardware(
  uuid: string,
  input: CreateVmInput,
  user: UserView,
  template?: TemplateSource,
): HardwarePlan {
  const first = template ? templateDisks(uuid, template) : [overlayDisk()];
  const extra = input.disks.map((d, i): HardwarePlan['disks'][number] => {
    checkSource(d, user);
    const position = first.length + i;
    const provision = provisionOf(d);
    const made = provision.kind === 'blank' || provision.kind === 'linkedFrom' || provision.kind === 'copyFrom';
    const volume = made ? `${uuid}-disk${position}.${d.format}` : d.source.kind === 'existing' ? d.source.volume : null;
    return {
      position,
      pool: volume ? d.pool : null,
      volume,
      path: null,
      device: d.device,
      bus: d.bus,
      format: d.format,
      sizeBytes: d.source.kind === 'blank' ? d.source.sizeBytes : null,
      readOnly: d.readOnly || d.device === 'cdrom',
      owned: made,
      provision,
    };
  });
  const nics = [...(template?.nics ?? []), ...input.nics];
  return {
    firmware: template?.firmware ?? input.firmware,
    overlay: !template,
    disks: [...first, ...extra],
    nics: nics.map((n, position) => ({
      position,
      network: n.network,
      model: n.model,
      securityGroupId: ('securityGroupId' in n ? n.securityGroupId : null) ?? null,
    })),
    ...(input.cloudInit ? { cloudInit: input.cloudInit } : {}),
  };
}

function overlayDisk(): HardwarePlan['disks'][number] {
  return {
    position: 0,
    pool: null,
    volume: null,
    path: null,
    device: 'disk',
    bus: 'virtio',
    format: 'qcow2',
    sizeBytes: null,
    readOnly: false,
    owned: false,
    provision: { kind: 'existing' },
  };
}

/** Records the plan with freshly chosen MACs, choosing again while a MAC is taken. */
export async function recordHardware(vmId: string, plan: HardwarePlan): Promise<VmNicRow[]> {
  for (let attempt = 1; ; attempt++) {
    const nics = plan.nics.map((n) => ({ ...n, mac: randomMac() }));
    try {
      await vmHardware.add(vmId, {
        firmware: plan.firmware,
        disks: plan.disks.map(({ provision: _p, ...row }) => row),
        nics,
      });
      return nics;
    } catch (err) {
      if (!(err instanceof DbConflictError) || attempt >= MAC_ATTEMPTS) throw err;
    }
  }
}

/** The hardware part of the agent's vm.create: the drives after the template's, and the NICs. */
export function hardwareRequest(plan: HardwarePlan, nics: VmNicRow[]): VmHardware {
  return {
    boot: { firmware: plan.firmware, order: ['hd', 'cdrom'] },
    disks: plan.disks.slice(plan.overlay ? 1 : 0).map((d) => ({
      device: d.device,
      bus: d.bus,
      format: d.format,
      readOnly: d.readOnly,
      ...(d.pool && d.volume ? { volume: { pool: d.pool, volume: d.volume } } : {}),
      provision: d.provision,
    })),
    nics: nics.map((n) => ({
      network: n.network,
      model: n.model,
      mac: n.mac,
      ...(n.securityGroupId ? { filter: securityGroupFilterName(n.securityGroupId) } : {}),
    })),
    ...(plan.cloudInit ? { cloudInit: plan.cloudInit } : {}),
  };
}

/** Paths and sizes as the host made them; drives come back in the order they were asked for. */
export async function applyCreated(vmId: string, created: CreatedHardware | undefined): Promise<void> {
  if (!created) return;
  await vmHardware.setCreated(
    vmId,
    created.drives.map((d, position) => ({ position, path: d.path ?? null, sizeBytes: d.sizeBytes ?? null })),
  );
}

/** The pool volumes made for this VM: deleted with it (never a base or an attached volume). */
export async function ownVolumes(vmId: string): Promise<VolumeRef[]> {
  const hw = await vmHardware.ofVm(vmId);
  return (hw?.disks ?? []).flatMap((d) => (d.owned && d.pool && d.volume ? [{ pool: d.pool, volume: d.volume }] : []));
}

/** The Hardware section of a VM's page; NIC addresses are the host's DHCP leases, read live. */
export async function hardwareView(vmId: string): Promise<VmHardwareView> {
  const hw = await vmHardware.ofVm(vmId);
  if (!hw) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  const { facts, source } = await nicNetworkFacts(vmId, hw.nics);
  return {
    firmware: hw.firmware,
    disks: hw.disks,
    nics: hw.nics.map((n) => ({
      ...n,
      securityGroupId: n.securityGroupId ?? null,
      networkId: facts.get(n.position)?.networkId ?? null,
      networkName: facts.get(n.position)?.networkName ?? null,
      securityGroupName: facts.get(n.position)?.securityGroupName ?? null,
      addresses: facts.get(n.position)?.addresses ?? [],
    })),
    addressSource: source,
    bootOrder: hw.bootOrder,
  };
}
