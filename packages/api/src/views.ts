/**
 * What the API returns to browsers: plain, serialisable shapes (no BigInt, no Dates: ISO
 * strings), stable for the UI. Repositories map database rows into these.
 */
export type HostStatus = 'online' | 'offline' | 'enrolling';
export type VmState =
  | 'creating'
  | 'shutoff'
  | 'running'
  | 'paused'
  | 'shutdown'
  | 'crashed'
  | 'pmsuspended'
  | 'unknown'
  | 'deleting';
export type TaskState = 'queued' | 'running' | 'succeeded' | 'failed';
export type Role = 'admin' | 'user';
export type MaintenanceState = 'none' | 'entering' | 'maintenance';

export interface UserView {
  id: string;
  username: string;
  role: Role;
}

export interface HostView {
  id: string;
  name: string;
  hostname: string;
  clusterName: string;
  address: string | null;
  status: HostStatus;
  cpuCount: number;
  cpuModel: string;
  /** From the host's reported CPU (capabilities); '' / [] until reported. */
  cpuVendor: string;
  cpuFeatures: string[];
  cpuUsagePercent: number;
  memoryBytes: number;
  memoryFreeBytes: number;
  libvirtVersion: string;
  qemuVersion: string;
  domainTypes: string[];
  vmCount: number;
  lastSeenAt: string | null;
  /** The manager holding the host's agent connection (several managers), if any. */
  managerId: string | null;
  /** Maintenance mode: placement and migrations keep off a host that is not 'none'. */
  maintenance: MaintenanceState;
  /** Who last changed the maintenance state, and when. */
  maintenanceBy: string | null;
  maintenanceAt: string | null;
}

export interface VmView {
  id: string;
  uuid: string;
  name: string;
  state: VmState;
  stateReason: string | null;
  vcpus: number;
  memoryMiB: number;
  hostId: string | null;
  hostName: string | null;
  hostStatus: HostStatus | null;
  templateName: string;
  ownerId: string;
  ownerName: string;
  /** The project it belongs to (issue 10); null outside every project. */
  projectId: string | null;
  projectName: string | null;
  /** From the latest stats sample; null when not running or not sampled yet. */
  cpuUsagePercent: number | null;
  createdAt: string;
  /** When its QEMU process started (ISO), as its host reports it; null when not running. */
  startedAt: string | null;
  /** Its tags, sorted. */
  tags: string[];
  /** When its lease expires (ISO); null: no lease. */
  leaseExpiresAt: string | null;
}

export interface TemplateView {
  id: string;
  name: string;
  description: string;
  defaultVcpus: number;
  defaultMemoryMiB: number;
}

export interface TemplateVersionItem {
  id: string;
  version: number;
  firmware: 'bios' | 'uefi';
  defaultVcpus: number;
  defaultMemoryMiB: number;
  note: string;
  createdAt: string;
  disks: { position: number; pool: string; volume: string; bus: string; format: string }[];
  nics: { position: number; network: string; model: string }[];
  /** VMs made from this version (that still exist). */
  vmCount: number;
}

/** A template in the list: `kernel` (direct kernel boot, no versions) or `disk` (versions). */
export interface TemplateListItem extends TemplateView {
  kind: 'kernel' | 'disk';
  versions: TemplateVersionItem[];
}

export interface TaskView {
  id: string;
  kind: string;
  state: TaskState;
  progress: number;
  message: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** null once the VM is deleted; vmName stays. */
  vmId: string | null;
  vmName: string | null;
  ownerId: string | null;
  /** Who ran it. */
  ownerName: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface EventView {
  id: string;
  at: string;
  severity: 'info' | 'warning' | 'error';
  kind: string;
  message: string;
  vmId: string | null;
  hostId: string | null;
}

export type AlertMetric = 'cpu' | 'memory' | 'storageFree' | 'hostOffline';
export type AlertScope = 'hosts' | 'host' | 'vms' | 'vm';

export interface AlertView {
  id: string;
  ruleId: string;
  ruleName: string;
  metric: AlertMetric;
  objectType: 'host' | 'vm';
  objectId: string;
  /** As it was when the alert fired. */
  objectName: string;
  state: 'firing' | 'resolved';
  /** The sample that fired it, then the one that resolved it; percent, or 1/0 for offline. */
  value: number;
  message: string;
  firedAt: string;
  resolvedAt: string | null;
}

export interface AlertRuleView {
  id: string;
  name: string;
  scope: AlertScope;
  scopeId: string | null;
  /** The host's or VM's name for a single-object rule; null for every host/VM, or if it is gone. */
  scopeName: string | null;
  metric: AlertMetric;
  threshold: number;
  forSeconds: number;
  enabled: boolean;
  updatedAt: string;
}

/** CPU % of the VMs one stats sample touched; null while a VM is not running. */
export type VmCpuSample = { vmId: string; cpuUsagePercent: number | null };
/** One stats batch: the VMs a stream watches (`live.watchStats`) that a single sample touched. */
export type StatsBatch = { at: number; cpu: VmCpuSample[] };

/** What live subscriptions push: the changed object, or its id when it was removed. */
export type LiveChange =
  | { kind: 'host'; host: HostView }
  | { kind: 'vm'; vm: VmView }
  | { kind: 'vmRemoved'; vmId: string; ownerId: string }
  | { kind: 'hostRemoved'; hostId: string }
  | { kind: 'task'; task: TaskView }
  | { kind: 'event'; event: EventView }
  // Alerts and their rules are for admins only (live.ts shows non-admins only what they own).
  | { kind: 'alert'; alert: AlertView }
  | { kind: 'alertRule'; rule: AlertRuleView }
  | { kind: 'alertRuleRemoved'; ruleId: string }
  // Datacenters, clusters or host placement changed (admins): the inventory tree refetches.
  | { kind: 'inventory' };

/** The inventory tree down to hosts (issue 8), with each host's VM counts. */
export interface InventoryTreeView {
  datacenters: { id: string; name: string }[];
  clusters: { id: string; name: string; datacenterId: string }[];
  hosts: {
    id: string;
    name: string;
    clusterId: string;
    status: HostStatus;
    /** Entering or in maintenance: the tree shows a badge. */
    maintenance: MaintenanceState;
    vmsTotal: number;
    vmsRunning: number;
  }[];
}

/** One thing the live stream carries: a change, or the stats of the VMs the tab watches. */
export type LiveItem = LiveChange | { kind: 'stats'; stats: StatsBatch };
/**
 * What the one live stream per browser tab (`live.onChange`) sends: one item, or, when several
 * were waiting (an event storm), all of them in order in one message (`batch`).
 */
export type LiveMessage = LiveItem | { kind: 'batch'; items: LiveItem[] };

/** A VM's hardware as its page shows it (`vm.hardware`). */
export interface VmHardwareView {
  firmware: 'bios' | 'uefi';
  disks: {
    position: number;
    pool: string | null;
    volume: string | null;
    path: string | null;
    device: 'disk' | 'cdrom';
    bus: 'virtio' | 'sata' | 'scsi';
    format: 'qcow2' | 'raw';
    sizeBytes: number | null;
    readOnly: boolean;
    /** Made for this VM (deleted with it), rather than attached. */
    owned: boolean;
  }[];
  nics: {
    position: number;
    network: string;
    model: 'virtio' | 'e1000';
    mac: string;
    /** The Vireo network (null: a libvirt network Vireo does not manage). */
    networkId: string | null;
    /** The Vireo network's name (null: not managed by Vireo; `network` is libvirt's name). */
    networkName: string | null;
    securityGroupId: string | null;
    securityGroupName: string | null;
    /** Current addresses (`ip/prefix`) from the DHCP leases of the VM's host, matched by MAC. */
    addresses: string[];
  }[];
  /** 'leases': read from the host just now; 'none': no NIC on a Vireo NAT/isolated network; 'unavailable': the host did not answer. */
  addressSource: 'leases' | 'none' | 'unavailable';
  /** Devices by row position, first boots first; empty: the default (first disk, then CD-ROM). */
  bootOrder: { kind: 'disk' | 'nic'; position: number }[];
}
