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

export type VmHardwareView = { firmware: 'bios' | 'uefi'; disks: VmDiskRow[]; nics: VmNicRow[] };

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
      disks: { select: diskSelect, orderBy: { position: 'asc' } },
      nics: { select: nicSelect, orderBy: { position: 'asc' } },
    },
  });
  if (!row) return null;
  return {
    firmware: row.firmware === 'uefi' ? 'uefi' : 'bios',
    disks: row.disks.map((d) => ({
      ...d,
      device: d.device as VmDiskRow['device'],
      bus: d.bus as VmDiskRow['bus'],
      format: d.format as VmDiskRow['format'],
      sizeBytes: d.sizeBytes === null ? null : Number(d.sizeBytes),
    })),
    nics: row.nics.map((n) => ({ ...n, model: n.model as VmNicRow['model'] })),
  };
}

/** Whether a MAC is already some VM's. */
export async function macInUse(mac: string): Promise<boolean> {
  return (await getDb().vmNic.count({ where: { mac } })) > 0;
}
