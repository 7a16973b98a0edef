// Affinity groups and their VMs. Placement reads them (members and where they run); admins
// manage them. Kinds are validated by the API before they arrive here.
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';

export type AffinityKind = 'affinity' | 'anti-affinity';

export type AffinityGroupRecord = {
  id: string;
  name: string;
  kind: AffinityKind;
  hard: boolean;
  createdAt: Date;
  members: { vmId: string; vmName: string; hostId: string | null; hostName: string | null }[];
  /** VM-to-host rule: where members go (affinity) or do not go (anti-affinity). */
  hosts: { hostId: string; hostName: string }[];
};

const select = {
  id: true,
  name: true,
  kind: true,
  hard: true,
  createdAt: true,
  vms: { select: { vm: { select: { id: true, name: true, hostId: true, host: { select: { name: true } } } } } },
  hosts: { select: { host: { select: { id: true, name: true } } } },
} as const;

type Row = {
  id: string;
  name: string;
  kind: string;
  hard: boolean;
  createdAt: Date;
  vms: { vm: { id: string; name: string; hostId: string | null; host: { name: string } | null } }[];
  hosts: { host: { id: string; name: string } }[];
};

function toRecord(row: Row): AffinityGroupRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind === 'affinity' ? 'affinity' : 'anti-affinity',
    hard: row.hard,
    createdAt: row.createdAt,
    members: row.vms
      .map(({ vm }) => ({ vmId: vm.id, vmName: vm.name, hostId: vm.hostId, hostName: vm.host?.name ?? null }))
      .sort((a, b) => a.vmName.localeCompare(b.vmName)),
    hosts: row.hosts
      .map(({ host }) => ({ hostId: host.id, hostName: host.name }))
      .sort((a, b) => a.hostName.localeCompare(b.hostName)),
  };
}

export async function list(): Promise<AffinityGroupRecord[]> {
  const rows = await getDb().affinityGroup.findMany({ select, orderBy: { name: 'asc' } });
  return rows.map(toRecord);
}

export async function byId(id: string): Promise<AffinityGroupRecord | null> {
  const row = await getDb().affinityGroup.findUnique({ where: { id }, select });
  return row && toRecord(row);
}

/** DbConflictError when the name is taken. */
export async function create(input: { name: string; kind: AffinityKind; hard: boolean }): Promise<AffinityGroupRecord> {
  const row = await mapDbErrors(() => getDb().affinityGroup.create({ data: input, select }));
  return toRecord(row);
}

/** Returns false if there was no such group. Memberships go with it. */
export async function remove(id: string): Promise<boolean> {
  const { count } = await getDb().affinityGroup.deleteMany({ where: { id } });
  return count > 0;
}
export { remove as delete };

/** Adds these VMs to the group (members stay). Returns how many were added. */
export async function addVms(groupId: string, vmIds: readonly string[]): Promise<number> {
  let added = 0;
  for (const vmId of vmIds) {
    // upsert: a second manager may add the same VM at the same moment.
    const before = await getDb().affinityGroupVm.findUnique({ where: { groupId_vmId: { groupId, vmId } } });
    await getDb().affinityGroupVm.upsert({
      where: { groupId_vmId: { groupId, vmId } },
      create: { groupId, vmId },
      update: {},
    });
    if (!before) added++;
  }
  return added;
}

export async function removeVms(groupId: string, vmIds: readonly string[]): Promise<number> {
  const { count } = await getDb().affinityGroupVm.deleteMany({ where: { groupId, vmId: { in: [...vmIds] } } });
  return count;
}

/** The ids of the groups this VM is in. */
export async function groupIdsOf(vmId: string): Promise<string[]> {
  const rows = await getDb().affinityGroupVm.findMany({ where: { vmId }, select: { groupId: true } });
  return rows.map((r) => r.groupId);
}

/** Replaces the group's hosts (the VM-to-host rule); none: no host rule. */
export async function setHosts(groupId: string, hostIds: readonly string[]): Promise<void> {
  await getDb().$transaction(async (tx) => {
    await tx.affinityGroupHost.deleteMany({ where: { groupId } });
    for (const hostId of new Set(hostIds)) await tx.affinityGroupHost.create({ data: { groupId, hostId } });
  });
}

/**
 * Whether an older member of one of this VM's hard groups makes its recorded host break the
 * group: another anti-affinity member on the same host, or an affinity member on another host.
 * Two creates placed at the same moment each decide before seeing the other; once both are
 * recorded, the younger (later record; the id breaks a tie) is the one that places again.
 */
export async function yieldsToOlderMember(vmId: string): Promise<boolean> {
  const me = await getDb().vm.findUnique({ where: { id: vmId }, select: { hostId: true, createdAt: true } });
  if (!me?.hostId) return false;
  const groups = await getDb().affinityGroup.findMany({
    where: { hard: true, vms: { some: { vmId } } },
    select: {
      kind: true,
      vms: { where: { vmId: { not: vmId } }, select: { vm: { select: { id: true, hostId: true, createdAt: true } } } },
    },
  });
  const older = (vm: { id: string; createdAt: Date }) =>
    vm.createdAt < me.createdAt || (vm.createdAt.getTime() === me.createdAt.getTime() && vm.id < vmId);
  return groups.some((g) =>
    g.vms.some(({ vm }) => {
      if (!vm.hostId || !older(vm)) return false;
      return g.kind === 'affinity' ? vm.hostId !== me.hostId : vm.hostId === me.hostId;
    }),
  );
}
