/**
 * The one interface through which Vireo talks to a hypervisor. Only the libvirt-dbus
 * implementation knows D-Bus; the agent sees these plain types. Domain and host shapes are the
 * protocol's, so they cross to the manager unchanged.
 */
import type {
  BootDevice,
  DiskBus,
  DiskDevice,
  DiskFormat,
  DomainInfo,
  DomainState,
  DomainType,
  Firmware,
  HostInfo,
  NicModel,
} from '@vireo/protocol';
import type { DomainLifecycleOps } from './ops/domain-lifecycle.ts';
import type { ConsoleOps } from './ops/consoles.ts';
import type { DeviceOps } from './ops/devices.ts';
import type { VmDeviceOps } from './ops/vm-devices.ts';
import type { BootOps } from './ops/boot.ts';
import type { DomainConfigOps } from './ops/domain-config.ts';
import type { NetworkOps } from './ops/networks.ts';
import type { SnapshotOps } from './ops/snapshots.ts';
import type { MigrationOps } from './ops/migration.ts';
import type { CpuOps } from './ops/cpu.ts';
import type { DomainXmlOps } from './ops/domain-xml.ts';
import type { StorageOps } from './ops/storage.ts';
import type { DomainPlatform } from './platform.ts';
import type { ParsedDisk, ParsedNic } from './xml/parse.ts';

export interface DomainDisk {
  /** Absent for an empty CD-ROM drive. */
  path?: string;
  device: DiskDevice;
  bus: DiskBus;
  format: DiskFormat;
  readOnly?: boolean;
}

export interface DomainNic {
  /** A libvirt network's name: `<interface type='network'><source network=…>`. */
  network: string;
  model: NicModel;
  mac: string;
  /** A libvirt nwfilter's name, enforced on this NIC. */
  filter?: string;
}

export interface DomainBoot {
  firmware: Firmware;
  order: BootDevice[];
  /** Direct kernel boot (the lab's original template): kept as an option. */
  kernel?: { kernelPath: string; initrdPath: string; cmdline: string };
}

export interface DomainSpec {
  uuid: string;
  name: string;
  /** Chosen from the host's capabilities (kvm when usable, else qemu), never hard-coded. */
  type: DomainType;
  vcpus: number;
  memoryMiB: number;
  boot: DomainBoot;
  disks: DomainDisk[];
  nics: DomainNic[];
  /** Where the serial line is logged on the host, so the banner can be read. */
  serialLogPath: string;
  /**
   * Machine type, CPU mode, UEFI loader: defineDomain fills them from the host's capabilities when
   * absent (see platform.ts); given here only by tests and callers that already know.
   */
  platform?: DomainPlatform;
}

export interface DomainHardware {
  firmware: Firmware;
  machine?: string;
  drives: ParsedDisk[];
  nics: ParsedNic[];
}

export interface DomainEvent {
  uuid: string;
  /** '' when the domain was never seen by this process (e.g. undefined before it was listed). */
  name: string;
  /** libvirt event in words: defined, undefined, started, suspended, resumed, stopped, shutdown, pmsuspended, crashed */
  event: string;
  /** libvirt event detail in words, e.g. destroyed, shutdown, booted. */
  detail: string;
}

export interface StatsSample {
  host: { cpuUsagePercent: number; memoryFreeBytes: number; memoryTotalBytes?: number };
  /** I/O rates (bytes/s) are absent in a domain's first sample: they need two sets of counters. */
  domains: {
    uuid: string;
    cpuUsagePercent: number;
    memoryUsedBytes?: number;
    diskReadBps?: number;
    diskWriteBps?: number;
    netRxBps?: number;
    netTxBps?: number;
  }[];
}

/**
 * What a cheap bulk look at a domain shows, for comparing with what was last reported. Memory and
 * vCPUs only for inactive domains: reading them for running ones would cost a QEMU monitor call
 * each, and `--config` changes to a running domain only show once it stops (which is an event).
 */
export interface DomainDigest {
  name: string;
  state: DomainState;
  memoryMiB?: number;
  maxMemoryMiB?: number;
  vcpus?: number;
}

/** Whether the hypervisor can be reached; `reason` says why not, for people. */
export type HypervisorConnection = { up: true } | { up: false; reason: string };

export interface Hypervisor {
  /** libvirt storage pools and volumes (ops/storage.ts). */
  readonly storage: StorageOps;
  /** libvirt networks, DHCP leases and network filters (security groups). */
  readonly networks: NetworkOps;
  /** Reboot, reset, pause/resume, managed save, start paused (ops/domain-lifecycle.ts). */
  readonly lifecycle: DomainLifecycleOps;
  /** VM snapshots, internal to the qcow2 files (ops/snapshots.ts). */
  readonly snapshots: SnapshotOps;
  /** Domains' text consoles (ops/consoles.ts). */
  readonly consoles: ConsoleOps;
  /** Disk hot-plug into running domains (ops/devices.ts). */
  readonly devices: DeviceOps;
  /** NICs and CD-ROM drives, live and in the definition (ops/vm-devices.ts). */
  readonly vmDevices: VmDeviceOps;
  /** vCPUs, memory and name of a defined domain (ops/domain-config.ts). */
  readonly config: DomainConfigOps;
  /** Firmware and boot order of a stopped domain (ops/boot.ts). */
  readonly boot: BootOps;
  /** Live and offline migration to another host (ops/migration.ts). */
  readonly migration: MigrationOps;
  /** A domain's CPU, for CPU compatibility (ops/cpu.ts). */
  readonly cpu: CpuOps;
  /** Persistent domain XML, read whole and defined from whole, for HA restarts (ops/domain-xml.ts). */
  readonly definitions: DomainXmlOps;
  connect(): Promise<void>;
  close(): Promise<void>;
  hostInfo(): Promise<HostInfo>;
  listDomains(): Promise<DomainInfo[]>;
  /** Every domain's uuid, and a digest of each by name: three bulk calls, however many domains. */
  domainDigests(): Promise<{ uuids: string[]; domains: DomainDigest[] }>;
  /** null when no such domain. */
  domain(uuid: string): Promise<DomainInfo | null>;
  /**
   * Starts checking the XML of a domain about to be defined (returns at once); defineDomain of
   * the same spec then reuses that verdict. Optional (test doubles leave it out): define
   * validates regardless.
   */
  prepareDomain?(spec: DomainSpec): void;
  /** Defines (persistently) from the typed spec; the XML is validated before libvirt sees it. */
  defineDomain(spec: DomainSpec): Promise<DomainInfo>;
  startDomain(uuid: string): Promise<void>;
  /** ACPI shutdown request; returns at once. */
  shutdownDomain(uuid: string): Promise<void>;
  destroyDomain(uuid: string): Promise<void>;
  /**
   * Removes the definition (with its managed save and snapshot metadata). `keepNvram` keeps the
   * UEFI variables file: for a definition that is a stale copy of a VM running elsewhere from
   * the same shared storage, that file is the running copy's.
   */
  undefineDomain(uuid: string, opts?: { keepNvram?: boolean }): Promise<void>;
  /** Firmware, drives (CD-ROMs too) and NICs of a defined domain, as libvirt has them. */
  domainHardware(uuid: string): Promise<DomainHardware>;
  /** Disk file paths of a defined domain, from its XML. */
  domainDiskPaths(uuid: string): Promise<string[]>;
  /** Path of the VNC unix socket of a running domain. */
  vncSocketPath(uuid: string): Promise<string>;
  /** Create a qcow2 overlay (linked clone) at path backed by basePath. */
  createOverlay(basePath: string, path: string): Promise<void>;
  deleteVolume(path: string): Promise<void>;
  sampleStats(): Promise<StatsSample>;
  /** Subscribe to libvirt lifecycle events; returns the unsubscribe function. */
  onDomainEvent(listener: (event: DomainEvent) => void): () => void;
  /**
   * Connection lost (calls fail at once until it is back) or back after a loss, including a
   * libvirtd restart behind a live libvirt-dbus. Events that happened in between were missed: on
   * `up`, re-read whatever you keep.
   */
  onConnectionChange(listener: (c: HypervisorConnection) => void): () => void;
}
