// Projects (tenants, issue 10): a name, quotas and the counters they are enforced against, and
// the templates, networks and pools published to them. Quota reservation (conditional updates
// of the used* counters) lives with the quota logic, not here.
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';

export const QUOTA_KINDS = ['Vms', 'Vcpus', 'MemoryMiB', 'DiskGiB', 'Snapshots'] as const;
export type QuotaKind = (typeof QUOTA_KINDS)[number];
export type Quotas = Record<QuotaKind, number | null>;
export type Usage = Record<QuotaKind, number>;

export const PUBLICATION_KINDS = ['template', 'network', 'pool'] as const;
export type PublicationKind = (typeof PUBLICATION_KINDS)[number];

export type ProjectView = {
  id: string;
  name: string;
  description: string;
  createdAt: Date;
  /** null: no limit. */
  quota: Quotas;
  used: Usage;
};

const select = {
  id: true,
  name: true,
  description: true,
  createdAt: true,
  quotaVms: true,
  quotaVcpus: true,
  quotaMemoryMiB: true,
  quotaDiskGiB: true,
  quotaSnapshots: true,
  usedVms: true,
  usedVcpus: true,
  usedMemoryMiB: true,
  usedDiskGiB: true,
  usedSnapshots: true,
} as const;

type Row = {
  id: string;
  name: string;
  description: string;
  createdAt: Date;
  quotaVms: number | null;
  quotaVcpus: number | null;
  quotaMemoryMiB: number | null;
  quotaDiskGiB: number | null;
  quotaSnapshots: number | null;
  usedVms: number;
  usedVcpus: number;
  usedMemoryMiB: number;
  usedDiskGiB: number;
  usedSnapshots: number;
};

function toView(row: Row): ProjectView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    createdAt: row.createdAt,
    quota: {
      Vms: row.quotaVms,
      Vcpus: row.quotaVcpus,
      MemoryMiB: row.quotaMemoryMiB,
      DiskGiB: row.quotaDiskGiB,
      Snapshots: row.quotaSnapshots,
    },
    used: {
      Vms: row.usedVms,
      Vcpus: row.usedVcpus,
      MemoryMiB: row.usedMemoryMiB,
      DiskGiB: row.usedDiskGiB,
      Snapshots: row.usedSnapshots,
    },
  };
}

function quotaColumns(quota: Partial<Quotas>) {
  return {
    quotaVms: quota.Vms,
    quotaVcpus: quota.Vcpus,
    quotaMemoryMiB: quota.MemoryMiB,
    quotaDiskGiB: quota.DiskGiB,
    quotaSnapshots: quota.Snapshots,
  };
}

export async function create(input: { name: string; description?: string; quota?: Partial<Quotas> }) {
  return mapDbErrors(async () =>
    toView(
      await getDb().project.create({
        data: { name: input.name, description: input.description ?? '', ...quotaColumns(input.quota ?? {}) },
        select,
      }),
    ),
  );
}

export async function byId(id: string): Promise<ProjectView | null> {
  const row = await getDb().project.findUnique({ where: { id }, select });
  return row ? toView(row) : null;
}

export async function byName(name: string): Promise<ProjectView | null> {
  const row = await getDb().project.findUnique({ where: { name }, select });
  return row ? toView(row) : null;
}

/**
 * The project whose name is this one ignoring case, if any: "Dev" and "dev" side by side would
 * be told apart by no one (SQLite and PostgreSQL compare case differently, so compared here).
 */
export async function nameHolder(name: string): Promise<{ id: string; name: string } | null> {
  const wanted = name.toLowerCase();
  const rows = await getDb().project.findMany({ select: { id: true, name: true } });
  return rows.find((r) => r.name.toLowerCase() === wanted) ?? null;
}

/** All projects, or only these ids (a user's), by name. */
export async function list(filter: { ids?: string[] } = {}): Promise<ProjectView[]> {
  const rows = await getDb().project.findMany({
    where: filter.ids ? { id: { in: filter.ids } } : {},
    select,
    orderBy: { name: 'asc' },
  });
  return rows.map(toView);
}

/** Name, description and quotas; an undefined field stays, a null quota means no limit. */
export async function update(
  id: string,
  change: { name?: string; description?: string; quota?: Partial<Quotas> },
): Promise<ProjectView> {
  return mapDbErrors(async () =>
    toView(
      await getDb().project.update({
        where: { id },
        data: { name: change.name, description: change.description, ...quotaColumns(change.quota ?? {}) },
        select,
      }),
    ),
  );
}

/**
 * Removes an empty project with its role bindings and publications. One that still has VMs is
 * left as it is: the answer says how many (the Restrict key on Vm.projectId backs this up).
 */
export async function remove(id: string): Promise<{ removed: true } | { removed: false; vmCount: number }> {
  return mapDbErrors(() =>
    getDb().$transaction(async (tx) => {
      const vmCount = await tx.vm.count({ where: { projectId: id } });
      if (vmCount > 0) return { removed: false as const, vmCount };
      await tx.roleBinding.deleteMany({ where: { scopeKind: 'project', scopeId: id } });
      await tx.project.delete({ where: { id } });
      return { removed: true as const };
    }),
  );
}

export async function publish(projectId: string, objectKind: PublicationKind, objectId: string): Promise<void> {
  await mapDbErrors(() =>
    getDb().projectPublication.upsert({
      where: { projectId_objectKind_objectId: { projectId, objectKind, objectId } },
      create: { projectId, objectKind, objectId },
      update: {},
    }),
  );
}

export async function unpublish(projectId: string, objectKind: PublicationKind, objectId: string): Promise<boolean> {
  const { count } = await getDb().projectPublication.deleteMany({ where: { projectId, objectKind, objectId } });
  return count > 0;
}

/** The ids of objects of one kind published to any of these projects. */
export async function publishedIds(projectIds: string[], objectKind: PublicationKind): Promise<string[]> {
  if (projectIds.length === 0) return [];
  const rows = await getDb().projectPublication.findMany({
    where: { projectId: { in: projectIds }, objectKind },
    select: { objectId: true },
    distinct: ['objectId'],
  });
  return rows.map((r) => r.objectId);
}

/** The projects an object is published to. */
export async function publishedTo(objectKind: PublicationKind, objectId: string): Promise<string[]> {
  const rows = await getDb().projectPublication.findMany({
    where: { objectKind, objectId },
    select: { projectId: true },
  });
  return rows.map((r) => r.projectId);
}

/** What is published to one project, newest first. */
export async function publicationsOf(
  projectId: string,
): Promise<{ objectKind: PublicationKind; objectId: string; createdAt: Date }[]> {
  const rows = await getDb().projectPublication.findMany({
    where: { projectId },
    select: { objectKind: true, objectId: true, createdAt: true },
    orderBy: { createdAt: 'desc' },
  });
  return rows.map((r) => ({ ...r, objectKind: r.objectKind as PublicationKind }));
}

/** How many VMs each project holds (the projects list). */
export async function vmCounts(): Promise<Map<string, number>> {
  const rows = await getDb().vm.groupBy({
    by: ['projectId'],
    where: { projectId: { not: null } },
    _count: { _all: true },
  });
  return new Map(rows.map((r) => [r.projectId ?? '', r._count._all]));
}
