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
export async function listWithVersions(filter: { ids?: string[] } = {}): Promise<TemplateWithVersions[]> {
  const rows = await getDb().template.findMany({
    where: filter.ids ? { id: { in: filter.ids } } : undefined,
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

/** Names of the VMs made from a template version (what keeps it from being deleted). */
export async function vmNamesOfVersion(versionId: string): Promise<string[]> {
  const rows = await getDb().vm.findMany({
    where: { templateVersionId: versionId },
    select: { name: true },
    orderBy: { name: 'asc' },
  });
  return rows.map((r) => r.name);
}

/** Names of the VMs made from any version of a template (or from a kernel template). */
export async function vmNamesOfTemplate(templateId: string): Promise<string[]> {
  const rows = await getDb().vm.findMany({ where: { templateId }, select: { name: true }, orderBy: { name: 'asc' } });
  return rows.map((r) => r.name);
}

/** The outcome of a delete: the rows went (with the disks they named), or VMs still use them. */
export type TemplateDeleteResult = { deleted: true; disks: TemplateDiskRow[] } | { deleted: false; vms: string[] };

/**
 * Deletes versions (and, with `template`, the template itself) in one transaction, unless a VM
 * uses them. The VMs are counted inside the transaction and the foreign keys restrict too, so a
 * VM created meanwhile keeps its version (the FK error is read as "in use").
 */
async function deleteRows(
  where: { versionIds: string[]; templateId?: string },
  usedBy: () => Promise<string[]>,
): Promise<TemplateDeleteResult> {
  try {
    return await getDb().$transaction(async (tx) => {
      const vms = await tx.vm.findMany({
        where: where.templateId ? { templateId: where.templateId } : { templateVersionId: { in: where.versionIds } },
        select: { name: true },
        orderBy: { name: 'asc' },
      });
      if (vms.length > 0) return { deleted: false, vms: vms.map((v) => v.name) } as const;
      const versionIds = where.templateId
        ? (await tx.templateVersion.findMany({ where: { templateId: where.templateId }, select: { id: true } })).map(
            (v) => v.id,
          )
        : where.versionIds;
      const disks = await tx.templateDisk.findMany({
        where: { versionId: { in: versionIds } },
        select: { position: true, pool: true, volume: true, bus: true, format: true },
        orderBy: { position: 'asc' },
      });
      await tx.templateVersion.deleteMany({ where: { id: { in: versionIds } } });
      if (where.templateId) await tx.template.delete({ where: { id: where.templateId } });
      return {
        deleted: true,
        disks: disks.map((d) => ({
          ...d,
          bus: d.bus as TemplateDiskRow['bus'],
          format: d.format as TemplateDiskRow['format'],
        })),
      } as const;
    });
  } catch (err) {
    // P2003: a foreign key still points here (a VM made from it after the count above).
    if ((err as { code?: unknown }).code === 'P2003') return { deleted: false, vms: await usedBy() };
    throw err;
  }
}

/** Deletes one version (its disks and NICs cascade) unless a VM was made from it. */
export async function deleteVersion(versionId: string): Promise<TemplateDeleteResult> {
  return deleteRows({ versionIds: [versionId] }, () => vmNamesOfVersion(versionId));
}

/** Deletes a template with all its versions unless a VM was made from it. */
export async function deleteTemplate(templateId: string): Promise<TemplateDeleteResult> {
  return deleteRows({ versionIds: [], templateId }, () => vmNamesOfTemplate(templateId));
}

/**
 * Restricted templates (issue 10): only admins (and a project's owners) create from them; others
 * submit a request for approval. Kept out of TemplateView so every template writer stays as it is.
 */
export async function isRestricted(id: string): Promise<boolean> {
  return (await getDb().template.findUnique({ where: { id }, select: { restricted: true } }))?.restricted ?? false;
}

export async function restrictedIds(): Promise<string[]> {
  return (await getDb().template.findMany({ where: { restricted: true }, select: { id: true } })).map((t) => t.id);
}

/** @returns false for an unknown template. */
export async function setRestricted(id: string, restricted: boolean): Promise<boolean> {
  const { count } = await getDb().template.updateMany({ where: { id }, data: { restricted } });
  return count > 0;
}
