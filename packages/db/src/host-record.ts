// Host selection, mapping and the connect-time upsert, shared by hosts.ts and
// enrollment.ts (which runs it inside a transaction).
import type { HostStatus } from './enums.ts';
import type { Prisma } from './generated/client.ts';

export type HostView = {
  id: string;
  name: string;
  clusterId: string;
  clusterName: string;
  datacenterName: string;
  libvirtHostUuid: string | null;
  hostname: string;
  address: string | null;
  status: HostStatus;
  cpuCount: number;
  cpuModel: string;
  memoryBytes: number;
  memoryFreeBytes: number;
  cpuUsagePercent: number;
  libvirtVersion: string;
  qemuVersion: string;
  domainTypes: string[];
  /** The CPU it offers guests; null until its agent reports it. */
  cpu: HostCpuFacts | null;
  /** VMs whose hostId is this host. */
  vmCount: number;
  connectedAt: Date | null;
  lastSeenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** The manager holding the host's agent connection, if any. */
  managerId: string | null;
  /** Maintenance mode: 'none' | 'entering' | 'maintenance' (host-maintenance.ts). */
  maintenance: string;
  maintenanceBy: string | null;
  maintenanceAt: Date | null;
};

/** The host's CPU (the protocol's HostCpu). */
export type HostCpuFacts = {
  arch: string;
  vendor: string;
  model: string;
  features: string[];
  usableModels: string[];
};

/** What an agent reports about its host when it connects. */
export type HostFacts = {
  libvirtHostUuid: string;
  hostname: string;
  address?: string | null;
  cpuCount: number;
  cpuModel: string;
  memoryBytes: number;
  memoryFreeBytes: number;
  libvirtVersion: string;
  qemuVersion: string;
  domainTypes: string[];
  /** Absent from older agents: the stored CPU is kept. */
  cpu?: HostCpuFacts | undefined;
};

export type HostConnectInput = HostFacts & {
  /** Used when the host row is created; an existing host keeps its cluster. */
  clusterId: string;
  /** Display name for a new host; defaults to hostname. Existing names are kept. */
  name?: string;
  /** SHA-256 of the agent credential; replaces the stored one when given. */
  credentialHash?: string;
  /** The manager taking this host's lease (the one its agent is connected to). */
  managerId?: string;
};

export const hostSelect = {
  id: true,
  name: true,
  clusterId: true,
  cluster: { select: { name: true, datacenter: { select: { name: true } } } },
  libvirtHostUuid: true,
  hostname: true,
  address: true,
  status: true,
  cpuCount: true,
  cpuModel: true,
  memoryBytes: true,
  memoryFreeBytes: true,
  cpuUsagePercent: true,
  libvirtVersion: true,
  qemuVersion: true,
  domainTypes: true,
  cpuInfo: true,
  connectedAt: true,
  lastSeenAt: true,
  createdAt: true,
  updatedAt: true,
  managerId: true,
  maintenance: true,
  maintenanceBy: true,
  maintenanceAt: true,
  _count: { select: { vms: true } },
} satisfies Prisma.HostSelect;

function parseDomainTypes(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}

function parseCpu(json: string): HostCpuFacts | null {
  if (!json) return null;
  try {
    const v = JSON.parse(json) as Partial<HostCpuFacts>;
    return {
      arch: String(v.arch ?? ''),
      vendor: String(v.vendor ?? ''),
      model: String(v.model ?? ''),
      features: Array.isArray(v.features) ? v.features.map(String) : [],
      usableModels: Array.isArray(v.usableModels) ? v.usableModels.map(String) : [],
    };
  } catch {
    return null;
  }
}

export function toHostView(row: Prisma.HostGetPayload<{ select: typeof hostSelect }>): HostView {
  const { cluster, _count, cpuInfo, ...rest } = row;
  return {
    ...rest,
    clusterName: cluster.name,
    datacenterName: cluster.datacenter.name,
    // Online means an agent is connected to some manager, which then holds the lease; a row
    // marked online without a holder (enrolled, never connected) is not.
    status: (row.status === 'online' && !row.managerId ? 'offline' : row.status) as HostStatus,
    memoryBytes: Number(row.memoryBytes),
    memoryFreeBytes: Number(row.memoryFreeBytes),
    domainTypes: parseDomainTypes(row.domainTypes),
    cpu: parseCpu(cpuInfo),
    vmCount: _count.vms,
  };
}

/** Insert or refresh a host by libvirt host UUID and mark it online. */
export async function upsertHostOnConnect(db: Prisma.TransactionClient, input: HostConnectInput): Promise<HostView> {
  const now = new Date();
  const facts = {
    hostname: input.hostname,
    address: input.address ?? null,
    cpuCount: input.cpuCount,
    cpuModel: input.cpuModel,
    memoryBytes: BigInt(input.memoryBytes),
    memoryFreeBytes: BigInt(input.memoryFreeBytes),
    libvirtVersion: input.libvirtVersion,
    qemuVersion: input.qemuVersion,
    domainTypes: JSON.stringify(input.domainTypes),
    ...(input.cpu && { cpuInfo: JSON.stringify(input.cpu) }),
    status: 'online',
    connectedAt: now,
    lastSeenAt: now,
    ...(input.credentialHash !== undefined && { credentialHash: input.credentialHash }),
    ...(input.managerId !== undefined && { managerId: input.managerId }),
  } satisfies Prisma.HostUpdateInput;
  const row = await db.host.upsert({
    where: { libvirtHostUuid: input.libvirtHostUuid },
    create: {
      ...facts,
      libvirtHostUuid: input.libvirtHostUuid,
      name: input.name ?? input.hostname,
      clusterId: input.clusterId,
    },
    update: facts,
    select: hostSelect,
  });
  return toHostView(row);
}
