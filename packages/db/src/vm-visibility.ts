// Which VMs a user may see, as a database filter (issue 10): lists filter in the query, never by
// loading everything. The api package turns a user's grants into a VmVisibility
// (services/permissions/visibility.ts); this turns that into Prisma's `where`.
import type { Prisma } from './generated/client.ts';

export type VmVisibility =
  | { all: true }
  | {
      all?: false;
      /** The user's own VMs (it holds 'owner' on them). */
      ownerId: string;
      /** VMs in projects the user holds a role on. */
      projectIds: string[];
      /** VMs on hosts the user holds a role on, directly or through their cluster or datacenter. */
      hostIds: string[];
      clusterIds: string[];
      datacenterIds: string[];
      /** VMs granted one by one. */
      vmIds: string[];
    };

export function vmVisibilityWhere(v: VmVisibility | undefined): Prisma.VmWhereInput {
  if (!v || v.all) return {};
  const or: Prisma.VmWhereInput[] = [{ ownerId: v.ownerId }];
  if (v.projectIds.length) or.push({ projectId: { in: v.projectIds } });
  if (v.hostIds.length) or.push({ hostId: { in: v.hostIds } });
  if (v.clusterIds.length) or.push({ host: { clusterId: { in: v.clusterIds } } });
  if (v.datacenterIds.length) or.push({ host: { cluster: { datacenterId: { in: v.datacenterIds } } } });
  if (v.vmIds.length) or.push({ id: { in: v.vmIds } });
  return { OR: or };
}

/** Infrastructure a user may see: all, or what is under its datacenter/cluster/host roles. */
export type InfraScope =
  | { all: true }
  | { all?: false; datacenterIds: string[]; clusterIds: string[]; hostIds: string[] };

export function hostScopeWhere(v: InfraScope | undefined): Prisma.HostWhereInput {
  if (!v || v.all) return {};
  return {
    OR: [
      { id: { in: v.hostIds } },
      { clusterId: { in: v.clusterIds } },
      { cluster: { datacenterId: { in: v.datacenterIds } } },
    ],
  };
}

export function clusterScopeWhere(v: InfraScope | undefined): Prisma.ClusterWhereInput {
  if (!v || v.all) return {};
  return {
    OR: [
      { id: { in: v.clusterIds } },
      { datacenterId: { in: v.datacenterIds } },
      { hosts: { some: { id: { in: v.hostIds } } } },
    ],
  };
}

export function datacenterScopeWhere(v: InfraScope | undefined): Prisma.DatacenterWhereInput {
  if (!v || v.all) return {};
  return { OR: [{ id: { in: v.datacenterIds } }, { clusters: { some: clusterScopeWhere(v) } }] };
}
