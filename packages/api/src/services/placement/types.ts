import type { HostCpu, VmCpu } from '@vireo/protocol';

/**
 * The placement engine's inputs and its decision record. The engine works on a snapshot (plain
 * data, no database), so every rule can be tested alone; loader.ts reads the snapshot.
 */

export type PlacementPolicy = 'balanced' | 'packed';
export const PLACEMENT_POLICIES = ['balanced', 'packed'] as const;

/** Memory a host has promised: one entry per domain it defines or Vireo VM it will define. */
export type Allocation = { vmId: string | null; vmName: string | null; memoryMiB: number };

export type HostSnapshot = {
  id: string;
  name: string;
  clusterId: string;
  clusterName: string;
  status: string;
  /** Entering or in maintenance mode (Host.maintenance not 'none'): the `maintenance` filter excludes it. */
  maintenance: boolean;
  domainTypes: string[];
  memoryMiB: number;
  cpuUsagePercent: number;
  allocations: Allocation[];
  /** The CPU it offers guests; null until its agent reports it (the `cpu` filter lets it pass). */
  cpu?: HostCpu | null | undefined;
  /** Its cluster's CPU baseline model ('' none). */
  cpuBaseline?: string | undefined;
};

export type AffinityKind = 'affinity' | 'anti-affinity';

export type AffinityGroupSnapshot = {
  id: string;
  name: string;
  kind: AffinityKind;
  /** Hard: a filter (hosts excluded); soft: a weight (hosts preferred or avoided). */
  hard: boolean;
  members: { vmId: string; vmName: string; hostId: string | null }[];
  /** VM-to-host rule: the hosts members go to (affinity) or keep off (anti-affinity); [] none. */
  hostIds: string[];
};

export type PlacementSnapshot = {
  hosts: HostSnapshot[];
  groups: AffinityGroupSnapshot[];
  /** Memory kept free on every host for the host itself. */
  reserveMiB: number;
};

export type PlacementRequest = {
  memoryMiB: number;
  /** The VM being moved (migration, evacuation): its own memory is not counted against it. */
  vmId?: string | undefined;
  /** Only hosts of this cluster. */
  clusterId?: string | undefined;
  /** Only hosts that can run domains of this type. */
  domainType?: string | undefined;
  /** Only these hosts (e.g. where the VM's NICs' networks exist). */
  allowedHostIds?: ReadonlySet<string> | undefined;
  /** Never these hosts (e.g. the VM's current host, one going into maintenance). */
  excludeHostIds?: readonly string[] | undefined;
  /** The affinity groups the VM is (or will be) in. */
  groupIds?: readonly string[] | undefined;
  policy?: PlacementPolicy | undefined;
  /** The moved VM's CPU and the CPU of the host it runs on now: the `cpu` filter keeps it to compatible hosts. */
  cpu?: { vm: VmCpu; source: HostCpu | null } | undefined;
};

export type FilterName =
  | 'online'
  | 'maintenance'
  | 'excluded'
  | 'cluster'
  | 'hypervisor'
  | 'networks'
  | 'cpu'
  | 'affinity'
  | 'memory';

export type ScorePart = { weight: string; points: number; note: string };

export type HostVerdict = {
  hostId: string;
  hostName: string;
  /** Memory left for VMs before this one is placed (may be negative). */
  freeMiB: number;
  /** The first filter that excluded the host, with a reason a person can read. */
  excluded: { filter: FilterName; reason: string } | null;
  /** Only for hosts that passed every filter. */
  score: { total: number; parts: ScorePart[] } | null;
};

export type PlacementDecision = {
  policy: PlacementPolicy;
  memoryMiB: number;
  vmId: string | null;
  chosen: { hostId: string; hostName: string } | null;
  /** Every host: the chosen one first, then the other candidates by score, then the excluded. */
  hosts: HostVerdict[];
  decidedAt: string;
};
