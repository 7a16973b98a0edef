import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';
import type { Prisma } from './generated/client.ts';

/**
 * A template. Kernel templates (the lab's original) have kernel, initrd and base disk paths and
 * no versions; disk templates have no paths and one or more immutable versions.
 */
export type TemplateView = {
  id: string;
  name: string;
  description: string;
  kernelPath: string | null;
  initrdPath: string | null;
  /** Base qcow2 on shared storage; VM disks are overlays backed by it. */
  diskPath: string | null;
  cmdline: string;
  defaultVcpus: number;
  defaultMemoryMiB: number;
  createdAt: Date;
};

export type TemplateInput = Omit<TemplateView, 'id' | 'createdAt'>;

export type TemplateDiskRow = {
  position: number;
  pool: string;
  volume: string;
  bus: 'virtio' | 'sata' | 'scsi';
  format: 'qcow2' | 'raw';
};
export type TemplateNicRow = { position: number; network: string; model: 'virtio' | 'e1000' };

export type TemplateVersionView = {
  id: string;
  templateId: string;
  version: number;
  firmware: string;
  defaultVcpus: number;
  defaultMemoryMiB: number;
  note: string;
  createdAt: Date;
  disks: TemplateDiskRow[];
  nics: TemplateNicRow[];
  vmCount: number;
};

export type TemplateWithVersions = TemplateView & { versions: TemplateVersionView[] };

export type TemplateVersionInput = {
  firmware: string;
  defaultVcpus: number;
  defaultMemoryMiB: number;
  note?: string;
  disks: TemplateDiskRow[];
  nics: TemplateNicRow[];
};

const templateSelect = {
  id: true,
  name: true,
  description: true,
  kernelPath: true,
  initrdPath: true,
  diskPath: true,
  cmdline: true,
  defaultVcpus: true,
  defaultMemoryMiB: true,
  createdAt: true,
} satisfies Prisma.TemplateSelect;

const versionSelect = {
  id: true,
  templateId: true,
  version: true,
  firmware: true,
  defaultVcpus: true,
  defaultMemoryMiB: true,
  note: true,
  createdAt: true,
  disks: {
    select: { position: true, pool: true, volume: true, bus: true, format: true },
    orderBy: { position: 'asc' },
  },
  nics: { select: { position: true, network: true, model: true }, orderBy: { position: 'asc' } },
  _count: { select: { vms: true } },
} satisfies Prisma.TemplateVersionSelect;

function toVersion(row: Prisma.TemplateVersionGetPayload<{ select: typeof versionSelect }>): TemplateVersionView {
  const { _count, disks, nics, ...rest } = row;
  return {
    ...rest,
    // Written only through TemplateVersionInput, so the strings are these unions.
    disks: disks.map((d) => ({
      ...d,
      bus: d.bus as TemplateDiskRow['bus'],
      format: d.format as TemplateDiskRow['format'],
    })),
    nics: nics.map((n) => ({ ...n, model: n.model as TemplateNicRow['model'] })),
    vmCount: _count.vms,
  };
}

export async function list(): Promise<TemplateView[]> {
  return getDb().template.findMany({ select: templateSelect, orderBy: { name: 'asc' } });
}

/** Every template with its versions (newest first), their disks, NICs and VM counts. */
export async function listWithVersions(): Promise<TemplateWithVersions[]> {
  const rows = await getDb().template.findMany({
    select: { ...templateSelect, versions: { select: versionSelect, orderBy: { version: 'desc' } } },
    orderBy: { name: 'asc' },
  });
  return rows.map((t) => ({ ...t, versions: t.versions.map(toVersion) }));
}

export async function byId(id: string): Promise<TemplateView | null> {
  return getDb().template.findUnique({ where: { id }, select: templateSelect });
}

export async function byName(name: string): Promise<TemplateView | null> {
  return getDb().template.findUnique({ where: { name }, select: templateSelect });
}

export async function versionById(id: string): Promise<TemplateVersionView | null> {
  const row = await getDb().templateVersion.findUnique({ where: { id }, select: versionSelect });
  return row && toVersion(row);
}

/** The newest version of a template, or null for a kernel template. */
export async function latestVersion(templateId: string): Promise<TemplateVersionView | null> {
  const row = await getDb().templateVersion.findFirst({
    where: { templateId },
    select: versionSelect,
    orderBy: { version: 'desc' },
  });
  return row && toVersion(row);
}

/** Create or update by name (idempotent; used by the seed). */
export async function upsert(input: TemplateInput): Promise<TemplateView> {
  return getDb().template.upsert({
    where: { name: input.name },
    create: input,
    update: input,
    select: templateSelect,
  });
}

/** A new disk template with its version 1. Conflict (DbConflictError) when the name is taken. */
export async function createDiskTemplate(
  input: { name: string; description: string },
  version: TemplateVersionInput,
): Promise<TemplateWithVersions> {
  const created = await mapDbErrors(() =>
    getDb().template.create({
      data: {
        name: input.name,
        description: input.description,
        defaultVcpus: version.defaultVcpus,
        defaultMemoryMiB: version.defaultMemoryMiB,
        versions: { create: [versionData(1, version)] },
      },
      select: { ...templateSelect, versions: { select: versionSelect } },
    }),
  );
  return { ...created, versions: created.versions.map(toVersion) };
}

function versionData(version: number, v: TemplateVersionInput) {
  return {
    version,
    firmware: v.firmware,
    defaultVcpus: v.defaultVcpus,
    defaultMemoryMiB: v.defaultMemoryMiB,
    note: v.note ?? '',
    disks: { create: v.disks },
    nics: { create: v.nics },
  };
}

/**
 * The next version of a template. Two publishers racing for the same number: the unique index
 * (templateId, version) lets one win and the other gets DbConflictError.
 */
export async function addVersion(templateId: string, version: TemplateVersionInput): Promise<TemplateVersionView> {
  const latest = await getDb().templateVersion.findFirst({
    where: { templateId },
    select: { version: true },
    orderBy: { version: 'desc' },
  });
  const row = await mapDbErrors(() =>
    getDb().templateVersion.create({
      data: { templateId, ...versionData((latest?.version ?? 0) + 1, version) },
      select: versionSelect,
    }),
  );
  return toVersion(row);
}

/** Is this volume a disk of any template version (a base that must stay)? */
export async function volumeIsBase(pool: string, volume: string): Promise<boolean> {
  return (await getDb().templateDisk.count({ where: { pool, volume } })) > 0;
}
