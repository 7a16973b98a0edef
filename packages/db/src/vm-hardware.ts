/**
 * A VM's firmware, drives (VmDisk) and NICs (VmNic). Rows are written when the VM is created,
 * before its host is asked (so the MACs are taken, installation-wide, by the unique index), and
 * completed with what libvirt reports (paths, sizes) once the host has made them.
 */
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';

export type VmDiskRow = {
  position: number;
  pool: string | null;
  volume: string | null;
  path: string | null;
  device: 'disk' | 'cdrom';
  bus: 'virtio' | 'sata' | 'scsi';
  format: 'qcow2' | 'raw';
  sizeBytes: number | null;
  readOnly: boolean;
  owned: boolean;
};

export type VmNicRow = {
  position: number;
  network: string;
  model: 'virtio' | 'e1000';
  mac: string;
  /** The security group enforced on the NIC, if any (absent: none). */
  securityGroupId?: string | null;
};

/** A device in the boot order, by its row's position. */
export type BootEntryRow = { kind: 'disk' | 'nic'; position: number };

export type VmHardwareView = {
  firmware: 'bios' | 'uefi';
  disks: VmDiskRow[];
  nics: VmNicRow[];
  /** Devices in boot order (first boots first); empty: the default (first disk, then CD-ROM). */
  bootOrder: BootEntryRow[];
};

const diskSelect = {
  position: true,
  pool: true,
  volume: true,
  path: true,
  device: true,
  bus: true,
  format: true,
  sizeBytes: true,
  readOnly: true,
  owned: true,
} as const;
const nicSelect = { position: true, network: true, model: true, mac: true, securityGroupId: true } as const;

/**
 * Records a new VM's hardware in one transaction.
 * @throws DbConflictError with fields ["mac"] when a MAC is taken (the caller picks others).
 */
export async function add(
  vmId: string,
  hw: { firmware: 'bios' | 'uefi'; disks: VmDiskRow[]; nics: VmNicRow[] },
): Promise<void> {
  await mapDbErrors(() =>
    getDb().$transaction(async (tx) => {
      await tx.vm.update({ where: { id: vmId }, data: { firmware: hw.firmware } });
      await tx.vmDisk.deleteMany({ where: { vmId } });
      await tx.vmNic.deleteMany({ where: { vmId } });
      for (const d of hw.disks) {
        await tx.vmDisk.create({
          data: { ...d, vmId, sizeBytes: d.sizeBytes === null ? null : BigInt(d.sizeBytes) },
        });
      }
      for (const n of hw.nics) await tx.vmNic.create({ data: { ...n, vmId } });
    }),
  );
}

/** What the host made: each drive's path and size, by position. */
export async function setCreated(
  vmId: string,
  drives: { position: number; path: string | null; sizeBytes: number | null }[],
): Promise<void> {
  const db = getDb();
  for (const d of drives) {
    await db.vmDisk.updateMany({
      where: { vmId, position: d.position },
      data: { path: d.path, ...(d.sizeBytes !== null ? { sizeBytes: BigInt(d.sizeBytes) } : {}) },
    });
  }
}

export async function ofVm(vmId: string): Promise<VmHardwareView | null> {
  const row = await getDb().vm.findUnique({
    where: { id: vmId },
    select: {
      firmware: true,
      disks: { select: { ...diskSelect, bootOrder: true }, orderBy: { position: 'asc' } },
      nics: { select: { ...nicSelect, bootOrder: true }, orderBy: { position: 'asc' } },
    },
  });
  if (!row) return null;
  const bootOrder = [
    ...row.disks.map((d) => ({ kind: 'disk' as const, position: d.position, n: d.bootOrder })),
    ...row.nics.map((n) => ({ kind: 'nic' as const, position: n.position, n: n.bootOrder })),
  ]
    .filter((e): e is typeof e & { n: number } => e.n !== null)
    .sort((a, b) => a.n - b.n)
    .map(({ kind, position }) => ({ kind, position }));
  return {
    bootOrder,
    firmware: row.firmware === 'uefi' ? 'uefi' : 'bios',
    disks: row.disks.map(({ bootOrder: _, ...d }) => ({
      ...d,
      device: d.device as VmDiskRow['device'],
      bus: d.bus as VmDiskRow['bus'],
      format: d.format as VmDiskRow['format'],
      sizeBytes: d.sizeBytes === null ? null : Number(d.sizeBytes),
    })),
    nics: row.nics.map(({ bootOrder: _, ...n }) => ({ ...n, model: n.model as VmNicRow['model'] })),
  };
}

/**
 * What the host's definition now holds, in one transaction: the firmware and each device's place
 * in the boot order (1 first; devices not listed lose theirs).
 */
export async function setBoot(vmId: string, firmware: 'bios' | 'uefi', order: BootEntryRow[]): Promise<void> {
  await getDb().$transaction(async (tx) => {
    await tx.vm.update({ where: { id: vmId }, data: { firmware } });
    await tx.vmDisk.updateMany({ where: { vmId }, data: { bootOrder: null } });
    await tx.vmNic.updateMany({ where: { vmId }, data: { bootOrder: null } });
    for (const [i, e] of order.entries()) {
      const where = { vmId, position: e.position };
      if (e.kind === 'disk') await tx.vmDisk.updateMany({ where, data: { bootOrder: i + 1 } });
      else await tx.vmNic.updateMany({ where, data: { bootOrder: i + 1 } });
    }
  });
}

/** Whether a MAC is already some VM's. */
export async function macInUse(mac: string): Promise<boolean> {
  return (await getDb().vmNic.count({ where: { mac } })) > 0;
}
