import { getDb } from './client.ts';
import type { HostStatus, VmState } from './enums.ts';
import { mapDbErrors } from './errors.ts';
import type { ProjectView } from './projects.ts';
import { byId as projectById } from './projects.ts';
import { memoryCharge, releaseVm, tryReserve, vmDelta } from './quotas.ts';
import type { Prisma } from './generated/client.ts';
import { type VmVisibility, vmVisibilityWhere } from './vm-visibility.ts';

export type VmView = {
  id: string;
  /** libvirt domain UUID, chosen by the manager. */
  uuid: string;
  name: string;
  hostId: string | null;
  hostName: string | null;
  /** Status of the VM's host; the stored VM state is stale while the host is not online. */
  hostStatus: HostStatus | null;
  templateId: string;
  templateName: string;
  ownerId: string;
  ownerName: string;
  /** The project it belongs to (issue 10); null outside every project. */
  projectId: string | null;
  projectName: string | null;
  vcpus: number;
  memoryMiB: number;
  diskPath: string | null;
  state: VmState;
  stateReason: string | null;
  stateChangedAt: Date;
  /** When its QEMU process started, as the host reports it; null when not running. */
  startedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Its tags, sorted. */
  tags: string[];
  /** When its lease expires (issue 10); null: no lease. */
  leaseExpiresAt: Date | null;
};

export type VmCreateInput = {
  uuid: string;
  name: string;
  templateId: string;
  /** The disk template version the VM is made from (none for a kernel template). */
  templateVersionId?: string | null;
  ownerId: string;
  vcpus: number;
  memoryMiB: number;
  hostId?: string | null;
  diskPath?: string | null;
  state?: VmState;
  stateReason?: string | null;
  /** The project it counts against (its quota reserved by the caller first). */
  projectId?: string | null;
  reservedDiskGiB?: number;
  /** The memory ceiling (schema.prisma); left out: memoryMiB, the maximum a new domain gets. */
  memoryCeilingMiB?: number;
};

/** Per-host allocation, for placement. */
export type HostLoad = { hostId: string; vmCount: number; memoryMiB: number; vcpus: number };

const vmSelect = {
  id: true,
  uuid: true,
  name: true,
  hostId: true,
  host: { select: { name: true, status: true } },
  templateId: true,
  template: { select: { name: true } },
  ownerId: true,
  owner: { select: { username: true } },
  projectId: true,
  project: { select: { name: true } },
  vcpus: true,
  memoryMiB: true,
  diskPath: true,
  state: true,
  stateReason: true,
  stateChangedAt: true,
  startedAt: true,
  createdAt: true,
  updatedAt: true,
  tags: { select: { tag: true }, orderBy: { tag: 'asc' } },
  leaseExpiresAt: true,
} satisfies Prisma.VmSelect;

function toView(row: Prisma.VmGetPayload<{ select: typeof vmSelect }>): VmView {
  const { host, template, owner, project, tags, ...rest } = row;
  return {
    ...rest,
    tags: tags.map((t) => t.tag),
    state: row.state as VmState,
    hostName: host?.name ?? null,
    hostStatus: (host?.status as HostStatus | undefined) ?? null,
    templateName: template.name,
    ownerName: owner.username,
    projectName: project?.name ?? null,
  };
}

/** Every VM matching the filter, ordered by name: for reconciliation and placement, not pages. */
export async function list(
  filter: { ownerId?: string; hostId?: string; visibleTo?: VmVisibility } = {},
): Promise<VmView[]> {
  const rows = await getDb().vm.findMany({
    where: { ownerId: filter.ownerId, hostId: filter.hostId, ...vmVisibilityWhere(filter.visibleTo) },
    select: vmSelect,
    orderBy: { name: 'asc' },
  });
  return rows.map(toView);
}

/**
 * The name as the list filters and sorts it (the nameKey column): lower-cased, so matching
 * ignores case on every database, and "_" as "^", because LIKE reads "_" as any character and
 * Prisma's `contains` does not escape it. "^" sorts just before "_", after "-", "." and digits.
 */
export function nameKey(name: string): string {
  return name.toLowerCase().replaceAll('_', '^');
}

/** VM names hold only these; a needle with anything else matches nothing (and "%" never reaches LIKE). */
const NAME_CHARS = /^[A-Za-z0-9._-]*$/;

export const VM_SORT_KEYS = ['name', 'state', 'host', 'memory', 'vcpus', 'created', 'lease'] as const;
export type VmSortKey = (typeof VM_SORT_KEYS)[number];

export type VmPageQuery = {
  offset: number;
  limit: number;
  sort: VmSortKey;
  dir: 'asc' | 'desc';
  /** Substring of the name, any case. */
  name?: string;
  states?: VmState[];
  hostId?: string;
  ownerId?: string;
  /** In this project (issue 10). */
  projectId?: string;
  /** Has this tag (exact). */
  tag?: string;
  /** Its lease expires at or before this (issue 10). */
  leaseBefore?: Date;
  /** Only the VMs this user may see (issue 10); omitted: all. */
  visibleTo?: VmVisibility;
};

function sortOrder(sort: VmSortKey, dir: 'asc' | 'desc'): Prisma.VmOrderByWithRelationInput[] {
  const first = (
    {
      name: { nameKey: dir },
      state: { state: dir },
      host: { host: { name: dir } },
      memory: { memoryMiB: dir },
      vcpus: { vcpus: dir },
      created: { createdAt: dir },
      // VMs without a lease come last either way: "expiring soonest" is what this sort is for.
      lease: { leaseExpiresAt: { sort: dir, nulls: 'last' } },
    } satisfies Record<VmSortKey, Prisma.VmOrderByWithRelationInput>
  )[sort];
  // Ties (same state, same memory...) go by id, so no row shows on two pages or on none.
  return [first, { id: dir }];
}

/**
 * One page of VMs, filtered and sorted by the database, and how many match the filter.
 * Names are matched lower-cased against nameKey, so "Web" finds "web-1" on every database.
 */
export async function page(query: VmPageQuery): Promise<{ rows: VmView[]; total: number }> {
  if (query.name && !NAME_CHARS.test(query.name)) return { rows: [], total: 0 };
  const where = pageWhere(query);
  const db = getDb();
  const [rows, total] = await Promise.all([
    db.vm.findMany({
      where,
      select: vmSelect,
      orderBy: sortOrder(query.sort, query.dir),
      skip: query.offset,
      take: query.limit,
    }),
    db.vm.count({ where }),
  ]);
  return { rows: rows.map(toView), total };
}

type VmFilter = Omit<VmPageQuery, 'offset' | 'limit' | 'sort' | 'dir'>;

function pageWhere(query: VmFilter): Prisma.VmWhereInput {
  return {
    ...vmVisibilityWhere(query.visibleTo),
    ownerId: query.ownerId,
    projectId: query.projectId,
    hostId: query.hostId,
    state: query.states ? { in: query.states } : undefined,
    nameKey: query.name ? { contains: nameKey(query.name) } : undefined,
    // A semi-join on VmTag's (tag, vmId) index.
    tags: query.tag ? { some: { tag: query.tag } } : undefined,
    leaseExpiresAt: query.leaseBefore ? { lte: query.leaseBefore } : undefined,
  };
}

/**
 * Every VM matching a list filter, by name, at most `max` (a bulk job's target); `total` says how
 * many matched, so a caller can refuse a filter that matches too many rather than act on part.
 */
export async function matching(filter: VmFilter, max: number): Promise<{ rows: VmView[]; total: number }> {
  if (filter.name && !NAME_CHARS.test(filter.name)) return { rows: [], total: 0 };
  const where = pageWhere(filter);
  const db = getDb();
  const [rows, total] = await Promise.all([
    db.vm.findMany({ where, select: vmSelect, orderBy: [{ nameKey: 'asc' }, { id: 'asc' }], take: max }),
    db.vm.count({ where }),
  ]);
  return { rows: rows.map(toView), total };
}

export async function byId(id: string): Promise<VmView | null> {
  const row = await getDb().vm.findUnique({ where: { id }, select: vmSelect });
  return row && toView(row);
}

export async function byUuid(uuid: string): Promise<VmView | null> {
  const row = await getDb().vm.findUnique({ where: { uuid }, select: vmSelect });
  return row && toView(row);
}

export async function byName(name: string): Promise<VmView | null> {
  const row = await getDb().vm.findUnique({ where: { name }, select: vmSelect });
  return row && toView(row);
}

/**
 * Records a new VM and charges its project's quota for it (one VM, its vCPUs, memory and
 * reserved disk) in the same transaction, through the quota's conditional UPDATE: a manager that
 * dies in between leaves neither, never a charge without its VM. `force` passes the limits (an
 * approver's over-quota approval). Refused: the project as it is now (null: it is gone).
 * @throws DbConflictError with fields ["name"] or ["uuid"] on duplicates (nothing charged).
 */
export async function createCharged(
  input: VmCreateInput & { projectId: string },
  opts: { force?: boolean } = {},
): Promise<{ ok: true; vm: VmView } | { ok: false; project: ProjectView | null }> {
  const refused = new Error('quota refused');
  try {
    const row = await mapDbErrors(() =>
      getDb().$transaction(async (tx) => {
        if (!(await tryReserve(tx, input.projectId, vmDelta(input), opts))) throw refused;
        return tx.vm.create({
          data: rowData(input),
          select: vmSelect,
        });
      }),
    );
    return { ok: true, vm: toView(row) };
  } catch (err) {
    // Read after the transaction ended: on SQLite a read beside an open transaction would wait on it.
    if (err === refused) return { ok: false, project: await projectById(input.projectId) };
    throw err;
  }
}

function rowData(input: VmCreateInput) {
  return {
    ...input,
    nameKey: nameKey(input.name),
    state: input.state ?? 'creating',
    memoryCeilingMiB: memoryCharge(input),
  };
}

/** @throws DbConflictError with fields ["name"] or ["uuid"] on duplicates. */
export async function create(input: VmCreateInput): Promise<VmView> {
  const row = await mapDbErrors(() =>
    getDb().vm.create({
      data: rowData(input),
      select: vmSelect,
    }),
  );
  return toView(row);
}

/**
 * Record a state reported for a libvirt domain. stateChangedAt moves only when
 * the state actually changes. Returns null for an unknown uuid.
 */
export async function updateState(
  uuid: string,
  state: VmState,
  reason: string | null = null,
): Promise<{ vm: VmView; changed: boolean } | null> {
  const db = getDb();
  const { count } = await db.vm.updateMany({
    where: { uuid, state: { not: state } },
    data: { state, stateReason: reason, stateChangedAt: new Date() },
  });
  const vm = await byUuid(uuid);
  return vm && { vm, changed: count > 0 };
}

/** What libvirt says a VM's domain is: the figures Vireo shows follow these. */
export type VmFacts = { name: string; vcpus: number; memoryMiB: number };

/**
 * Record the name, vCPUs and memory libvirt reports for a domain (changed outside Vireo, e.g.
 * `virsh setmem --config`, `domrename`). Returns whether anything changed; false for an unknown
 * uuid. @throws DbConflictError with fields ["name"] when another VM already has that name.
 */
export async function applyFacts(uuid: string, facts: VmFacts): Promise<boolean> {
  const { count } = await mapDbErrors(() =>
    getDb().vm.updateMany({
      where: { uuid, NOT: { name: facts.name, vcpus: facts.vcpus, memoryMiB: facts.memoryMiB } },
      data: { ...facts, nameKey: nameKey(facts.name) },
    }),
  );
  return count > 0;
}

/**
 * Bulk insert without reading back (test seeds and scale runs: thousands of rows at once).
 * Returns how many rows were inserted. @throws DbConflictError on a duplicate name or uuid.
 */
export async function insertMany(inputs: VmCreateInput[]): Promise<number> {
  const data = inputs.map(rowData);
  const { count } = await mapDbErrors(() => getDb().vm.createMany({ data }));
  return count;
}

/** Assign (or clear) the VM's host. @throws DbNotFoundError */
export async function setHost(id: string, hostId: string | null): Promise<void> {
  await mapDbErrors(() => getDb().vm.update({ where: { id }, data: { hostId }, select: { id: true } }));
}

/** Set the VM's disk (overlay) path once it is created. @throws DbNotFoundError */
export async function setDiskPath(id: string, diskPath: string | null): Promise<void> {
  await mapDbErrors(() => getDb().vm.update({ where: { id }, data: { diskPath }, select: { id: true } }));
}

/**
 * Returns false if the VM did not exist. Tasks and events keep their rows (vmId = null); roles
 * granted on the VM go with it (RoleBinding's scope is not a foreign key). A VM in a project
 * gives back its quota share in the same transaction (every delete path: a failed create, a
 * cancelled clone, a delete), so the counters cannot miss it.
 */
async function remove(id: string): Promise<boolean> {
  return getDb().$transaction(async (tx) => {
    const vm = await tx.vm.findUnique({
      where: { id },
      select: {
        projectId: true,
        vcpus: true,
        memoryMiB: true,
        memoryCeilingMiB: true,
        reservedDiskGiB: true,
        _count: { select: { snapshots: true } },
      },
    });
    await tx.roleBinding.deleteMany({ where: { scopeKind: 'vm', scopeId: id } });
    const { count } = await tx.vm.deleteMany({ where: { id } });
    if (count > 0 && vm) await releaseVm(tx, { ...vm, snapshots: vm._count.snapshots });
    return count > 0;
  });
}
export { remove as delete };

/** VM count and allocated memory/vCPUs per host (hosts without VMs are absent). */
export async function countByHost(): Promise<HostLoad[]> {
  const groups = await getDb().vm.groupBy({
    by: ['hostId'],
    where: { hostId: { not: null } },
    _count: { _all: true },
    _sum: { memoryMiB: true, vcpus: true },
  });
  return groups.flatMap((g) =>
    g.hostId === null
      ? []
      : [{ hostId: g.hostId, vmCount: g._count._all, memoryMiB: g._sum.memoryMiB ?? 0, vcpus: g._sum.vcpus ?? 0 }],
  );
}

/**
 * Why a VM is `unknown` after a create or delete lost its host or its manager. Set only by
 * Vireo, and read by the reconciliation that settles the VM once its host's full state arrives.
 */
export const INTERRUPTED_REASON = {
  createHostLost: 'host lost during create',
  createManagerRestart: 'manager restarted during create',
  deleteHostLost: 'host lost during delete',
  deleteManagerRestart: 'manager restarted during delete',
} as const;

/**
 * Start-up: VMs caught mid-create or mid-delete by a manager stop cannot be trusted; mark them
 * unknown until their host's full state says what they are. Returns how many.
 */
export async function markInterrupted(exceptVmIds: readonly string[] = []): Promise<number> {
  const db = getDb();
  const now = new Date();
  const spared = exceptVmIds.length > 0 ? { id: { notIn: [...exceptVmIds] } } : {};
  const created = await db.vm.updateMany({
    where: { state: 'creating', ...spared },
    data: { state: 'unknown', stateReason: INTERRUPTED_REASON.createManagerRestart, stateChangedAt: now },
  });
  const deleted = await db.vm.updateMany({
    where: { state: 'deleting', ...spared },
    data: { state: 'unknown', stateReason: INTERRUPTED_REASON.deleteManagerRestart, stateChangedAt: now },
  });
  return created.count + deleted.count;
}

/** How many VMs are in each state (states without VMs are absent): one grouped query. */
export async function countByState(): Promise<{ state: string; count: number }[]> {
  const groups = await getDb().vm.groupBy({ by: ['state'], _count: { _all: true } });
  return groups.map((g) => ({ state: g.state, count: g._count._all }));
}

/**
 * Records many VMs at once (scale runs seed thousands), in chunks of one statement each; the
 * input's state is kept (default `creating`). Returns how many were inserted.
 */
export async function createMany(inputs: readonly VmCreateInput[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < inputs.length; i += 500) {
    const data = inputs.slice(i, i + 500).map((v) => ({ ...v, state: v.state ?? 'creating' }));
    n += (await mapDbErrors(() => getDb().vm.createMany({ data }))).count;
  }
  return n;
}

/**
 * The VMs among these uuids that are recorded on another host than `hostId` (or on none): one
 * query per 500 uuids, for checking a host's full state against the inventory in bulk.
 */
export async function notOnHost(uuids: readonly string[], hostId: string): Promise<VmView[]> {
  const out: VmView[] = [];
  for (let i = 0; i < uuids.length; i += 500) {
    const rows = await getDb().vm.findMany({
      where: { uuid: { in: uuids.slice(i, i + 500) }, OR: [{ hostId: { not: hostId } }, { hostId: null }] },
      select: vmSelect,
    });
    out.push(...rows.map(toView));
  }
  return out;
}

/** id, uuid and state of every VM on a host: the narrow read each stats sample needs. */
export async function statesOnHost(hostId: string): Promise<{ id: string; uuid: string; state: VmState }[]> {
  const rows = await getDb().vm.findMany({ where: { hostId }, select: { id: true, uuid: true, state: true } });
  return rows.map((r) => ({ ...r, state: r.state as VmState }));
}

/** VMs by uuid, for a batch of host reports: one query per 500. */
export async function byUuids(uuids: readonly string[]): Promise<VmView[]> {
  const out: VmView[] = [];
  for (let i = 0; i < uuids.length; i += 500) {
    const rows = await getDb().vm.findMany({ where: { uuid: { in: uuids.slice(i, i + 500) } }, select: vmSelect });
    out.push(...rows.map(toView));
  }
  return out;
}

/** VMs by id, for publishing a batch of changes: one query per 500; `visibleTo` keeps those a user may see. */
export async function byIds(ids: readonly string[], visibleTo?: VmVisibility): Promise<VmView[]> {
  const out: VmView[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await getDb().vm.findMany({
      where: { id: { in: ids.slice(i, i + 500) }, ...vmVisibilityWhere(visibleTo) },
      select: vmSelect,
    });
    out.push(...rows.map(toView));
  }
  return out;
}

/**
 * updateState for many VMs reported in the same state: one statement per 500. As there,
 * stateChangedAt (and the reason) move only for VMs whose state actually changes. Returns how
 * many changed.
 */
export async function setStates(
  uuids: readonly string[],
  state: VmState,
  reason: string | null,
  /** Only VMs still recorded on this host: a report read before a migration moved one must not touch it. */
  onHostId?: string,
): Promise<number> {
  let n = 0;
  const now = new Date();
  const onHost = onHostId ? { hostId: onHostId } : {};
  for (let i = 0; i < uuids.length; i += 500) {
    const { count } = await getDb().vm.updateMany({
      where: { uuid: { in: uuids.slice(i, i + 500) }, state: { not: state }, ...onHost },
      data: { state, stateReason: reason, stateChangedAt: now },
    });
    n += count;
  }
  return n;
}

/**
 * Records when each VM's QEMU process started (null: not running); writes only rows whose time
 * differs. Returns how many changed.
 */
export async function setStartedAt(
  entries: readonly { uuid: string; startedAt: Date | null }[],
  /** Only VMs still recorded on this host (see setStates). */
  onHostId?: string,
): Promise<number> {
  let n = 0;
  const db = getDb();
  const onHost = onHostId ? { hostId: onHostId } : {};
  const stopped = entries.filter((e) => e.startedAt === null).map((e) => e.uuid);
  for (let i = 0; i < stopped.length; i += 500) {
    const uuids = stopped.slice(i, i + 500);
    n += (
      await db.vm.updateMany({
        where: { uuid: { in: uuids }, startedAt: { not: null }, ...onHost },
        data: { startedAt: null },
      })
    ).count;
  }
  for (const e of entries) {
    if (e.startedAt === null) continue;
    const where = { uuid: e.uuid, OR: [{ startedAt: null }, { startedAt: { not: e.startedAt } }], ...onHost };
    n += (await db.vm.updateMany({ where, data: { startedAt: e.startedAt } })).count;
  }
  return n;
}

/** Host, uuid and memory of every VM placed on a host: the narrow read placement needs. */
export async function allocations(): Promise<{ id: string; hostId: string; uuid: string; memoryMiB: number }[]> {
  const rows = await getDb().vm.findMany({
    where: { hostId: { not: null } },
    select: { id: true, hostId: true, uuid: true, memoryMiB: true },
  });
  return rows.flatMap((r) =>
    r.hostId === null ? [] : [{ id: r.id, hostId: r.hostId, uuid: r.uuid, memoryMiB: r.memoryMiB }],
  );
}

/** Which of these ids the user may see: one query per 500, ids only. */
export async function visibleIds(ids: readonly string[], visibleTo: VmVisibility): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await getDb().vm.findMany({
      where: { id: { in: ids.slice(i, i + 500) }, ...vmVisibilityWhere(visibleTo) },
      select: { id: true },
    });
    for (const row of rows) out.add(row.id);
  }
  return out;
}

/** Moves a VM into a project, or out of any (null). */
/** The id of the VM's owner (null: no such VM): what a permission check needs, nothing more. */
export async function ownerOf(id: string): Promise<string | null> {
  return (await getDb().vm.findUnique({ where: { id }, select: { ownerId: true } }))?.ownerId ?? null;
}

/**
 * Moves a VM into a project (or out: null) with its quota share, in one transaction: the old
 * project gets it back, the new one is charged. An administrator's act, so the new project is
 * charged even past its limits (its quota panel then shows it over).
 */
export async function setProject(id: string, projectId: string | null): Promise<void> {
  await mapDbErrors(() =>
    getDb().$transaction(async (tx) => {
      const vm = await tx.vm.findUniqueOrThrow({
        where: { id },
        select: {
          projectId: true,
          vcpus: true,
          memoryMiB: true,
          memoryCeilingMiB: true,
          reservedDiskGiB: true,
          _count: { select: { snapshots: true } },
        },
      });
      if (vm.projectId === projectId) return;
      const snapshots = vm._count.snapshots;
      await releaseVm(tx, { ...vm, snapshots });
      await tx.vm.update({ where: { id }, data: { projectId }, select: { id: true } });
      if (!projectId) return;
      await tx.project.update({
        where: { id: projectId },
        data: {
          usedVms: { increment: 1 },
          usedVcpus: { increment: vm.vcpus },
          usedMemoryMiB: { increment: memoryCharge(vm) },
          usedDiskGiB: { increment: vm.reservedDiskGiB },
          usedSnapshots: { increment: snapshots },
        },
        select: { id: true },
      });
    }),
  );
}
