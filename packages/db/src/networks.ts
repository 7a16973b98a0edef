// Networks (with their static DHCP leases) and security groups (with their rules). What libvirt
// holds on each host is applied from these rows by the manager (packages/api services/networks*).
import { getDb } from './client.ts';
import { DbNotFoundError, mapDbErrors } from './errors.ts';
import type { Prisma } from './generated/client.ts';

export const NETWORK_SCOPES = ['cluster', 'host'] as const;
export type NetworkScope = (typeof NETWORK_SCOPES)[number];
export type NetworkModeValue = 'nat' | 'isolated' | 'bridged';

export type StaticLeaseRecord = { id: string; mac: string; ip: string; hostname: string | null };

export type NetworkRecord = {
  id: string;
  name: string;
  clusterId: string;
  scope: NetworkScope;
  hostId: string | null;
  mode: NetworkModeValue;
  bridge: string;
  vlan: number | null;
  cidr: string | null;
  dhcpStart: string | null;
  dhcpEnd: string | null;
  createdAt: Date;
  staticLeases: StaticLeaseRecord[];
};

export type NetworkInput = Omit<NetworkRecord, 'id' | 'createdAt' | 'staticLeases'>;

const leaseSelect = { id: true, mac: true, ip: true, hostname: true } satisfies Prisma.StaticLeaseSelect;
const networkSelect = {
  id: true,
  name: true,
  clusterId: true,
  scope: true,
  hostId: true,
  mode: true,
  bridge: true,
  vlan: true,
  cidr: true,
  dhcpStart: true,
  dhcpEnd: true,
  createdAt: true,
  staticLeases: { select: leaseSelect, orderBy: { ip: 'asc' } },
} satisfies Prisma.NetworkSelect;

function toNetwork(row: Prisma.NetworkGetPayload<{ select: typeof networkSelect }>): NetworkRecord {
  return { ...row, scope: row.scope as NetworkScope, mode: row.mode as NetworkModeValue };
}

/** Every network, or only those with the given ids (what a user may see: publishedVisibility). */
export async function list(filter: { ids?: string[] } = {}): Promise<NetworkRecord[]> {
  const rows = await getDb().network.findMany({
    ...(filter.ids ? { where: { id: { in: filter.ids } } } : {}),
    select: networkSelect,
    orderBy: [{ clusterId: 'asc' }, { name: 'asc' }],
  });
  return rows.map(toNetwork);
}

/**
 * Ids of the networks inside some infrastructure scopes (a delegated admin's): those of the
 * clusters and datacenters named, and those reaching the hosts named (a host network on one, or
 * a cluster network of its cluster).
 */
export async function idsInScope(scope: {
  datacenterIds: string[];
  clusterIds: string[];
  hostIds: string[];
}): Promise<string[]> {
  if (scope.datacenterIds.length + scope.clusterIds.length + scope.hostIds.length === 0) return [];
  const rows = await getDb().network.findMany({
    where: {
      OR: [
        { clusterId: { in: scope.clusterIds } },
        { cluster: { datacenterId: { in: scope.datacenterIds } } },
        { hostId: { in: scope.hostIds } },
        { scope: 'cluster', cluster: { hosts: { some: { id: { in: scope.hostIds } } } } },
      ],
    },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

export async function byId(id: string): Promise<NetworkRecord | null> {
  const row = await getDb().network.findUnique({ where: { id }, select: networkSelect });
  return row && toNetwork(row);
}

export async function inCluster(clusterId: string): Promise<NetworkRecord[]> {
  const rows = await getDb().network.findMany({
    where: { clusterId },
    select: networkSelect,
    orderBy: { name: 'asc' },
  });
  return rows.map(toNetwork);
}

/** The networks a host should have: its cluster's, and its own. */
export async function forHost(hostId: string, clusterId: string): Promise<NetworkRecord[]> {
  const rows = await getDb().network.findMany({
    where: { clusterId, OR: [{ scope: 'cluster' }, { hostId }] },
    select: networkSelect,
    orderBy: { name: 'asc' },
  });
  return rows.map(toNetwork);
}

export async function create(input: NetworkInput): Promise<NetworkRecord> {
  return mapDbErrors(async () => toNetwork(await getDb().network.create({ data: input, select: networkSelect })));
}

export async function remove(id: string): Promise<void> {
  await mapDbErrors(() => getDb().network.delete({ where: { id }, select: { id: true } }));
}

export async function addStaticLease(
  networkId: string,
  lease: { mac: string; ip: string; hostname: string | null },
): Promise<StaticLeaseRecord> {
  return mapDbErrors(() => getDb().staticLease.create({ data: { networkId, ...lease }, select: leaseSelect }));
}

/** false if the network has no such lease. */
export async function removeStaticLease(networkId: string, leaseId: string): Promise<boolean> {
  const { count } = await getDb().staticLease.deleteMany({ where: { id: leaseId, networkId } });
  return count > 0;
}

// ---- security groups -------------------------------------------------------------------------

export type SecurityRuleRecord = {
  id: string;
  direction: 'in' | 'out';
  protocol: 'tcp' | 'udp' | 'icmp' | 'all';
  portStart: number | null;
  portEnd: number | null;
  cidr: string | null;
};
export type SecurityRuleInput = Omit<SecurityRuleRecord, 'id'>;
export type SecurityGroupRecord = {
  id: string;
  name: string;
  description: string;
  updatedAt: Date;
  rules: SecurityRuleRecord[];
};

const ruleSelect = {
  id: true,
  direction: true,
  protocol: true,
  portStart: true,
  portEnd: true,
  cidr: true,
} satisfies Prisma.SecurityGroupRuleSelect;
const groupSelect = {
  id: true,
  name: true,
  description: true,
  updatedAt: true,
  rules: { select: ruleSelect, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
} satisfies Prisma.SecurityGroupSelect;

function toGroup(row: Prisma.SecurityGroupGetPayload<{ select: typeof groupSelect }>): SecurityGroupRecord {
  return {
    ...row,
    rules: row.rules.map((r) => ({
      ...r,
      direction: r.direction as SecurityRuleRecord['direction'],
      protocol: r.protocol as SecurityRuleRecord['protocol'],
    })),
  };
}

export async function listGroups(): Promise<SecurityGroupRecord[]> {
  const rows = await getDb().securityGroup.findMany({ select: groupSelect, orderBy: { name: 'asc' } });
  return rows.map(toGroup);
}

export async function groupById(id: string): Promise<SecurityGroupRecord | null> {
  const row = await getDb().securityGroup.findUnique({ where: { id }, select: groupSelect });
  return row && toGroup(row);
}

export async function createGroup(input: {
  name: string;
  description: string;
  rules: SecurityRuleInput[];
}): Promise<SecurityGroupRecord> {
  return mapDbErrors(async () =>
    toGroup(
      await getDb().securityGroup.create({
        data: { name: input.name, description: input.description, rules: { create: input.rules } },
        select: groupSelect,
      }),
    ),
  );
}

export async function deleteGroup(id: string): Promise<void> {
  await mapDbErrors(() => getDb().securityGroup.delete({ where: { id }, select: { id: true } }));
}

export async function addRule(groupId: string, rule: SecurityRuleInput): Promise<SecurityGroupRecord> {
  return mapDbErrors(async () =>
    toGroup(
      await getDb().securityGroup.update({
        where: { id: groupId },
        data: { rules: { create: rule } },
        select: groupSelect,
      }),
    ),
  );
}

/** The group as it is after the removal; null if the group does not exist. */
export async function removeRule(groupId: string, ruleId: string): Promise<SecurityGroupRecord | null> {
  const db = getDb();
  await db.securityGroupRule.deleteMany({ where: { id: ruleId, groupId } });
  // updatedAt marks the change (the rule rows carry no group timestamp).
  try {
    return toGroup(
      await mapDbErrors(() =>
        db.securityGroup.update({ where: { id: groupId }, data: { updatedAt: new Date() }, select: groupSelect }),
      ),
    );
  } catch (err) {
    if (DbNotFoundError.is(err)) return null;
    throw err;
  }
}
