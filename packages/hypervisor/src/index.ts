export type {
  DomainDigest,
  DomainEvent,
  DomainSpec,
  DomainBoot,
  DomainDisk,
  DomainHardware,
  DomainNic,
  Hypervisor,
  HypervisorConnection,
  StatsSample,
} from './hypervisor.ts';
export { LIBVIRTD_PIDFILES, libvirtdIdentity } from './libvirtd-identity.ts';
export { LibvirtDbusHypervisor, type LibvirtDbusOptions } from './libvirt-dbus.ts';
export {
  buildDomainXml,
  parseDomainXml,
  escapeXml,
  diskTargets,
  VIREO_XMLNS,
  type ParsedDisk,
  type ParsedDomain,
  type ParsedNic,
} from './domain-xml.ts';
export { canonicalMachine, choosePlatform, machineAlias, type DomainPlatform } from './platform.ts';
export { parseCapabilities, usableDomainTypes, kvmDeviceUsable, type HostCapabilities } from './capabilities.ts';
export { validateXml } from './validate-xml.ts';
export { wrapLibvirtError } from './libvirt-call.ts';
export { storageCodeOfErrno } from './volumes.ts';
export { FakeHypervisor, type FakeDomainSeed, type FakeHypervisorOptions } from './fake.ts';
export type {
  PoolState,
  StorageOps,
  StoragePoolInfo,
  StorageVolumeInfo,
  VolumeCreate,
  VolumeFormat,
} from './ops/storage.ts';
export { buildDirPoolXml, buildVolumeXml, parsePoolXml, parseVolumeXml } from './ops/storage-xml.ts';
export { FakeStorage } from './ops/fake-storage.ts';
export {
  LibvirtNetworkOps,
  libvirtNetworkName,
  type NetworkOps,
  securityGroupFilterName,
} from './ops/networks.ts';
export { buildNetworkXml, buildNwfilterXml, parseNetworkXml } from './network-xml.ts';
export { FakeNetworkOps } from './fake-networks.ts';
export type { LibvirtCallFn } from './libvirt-call.ts';
export { type DomainLifecycleOps, LibvirtDomainLifecycle } from './ops/domain-lifecycle.ts';
export {
  LibvirtSnapshotOps,
  type SnapshotCreate,
  type SnapshotOps,
  buildSnapshotXml,
  parseSnapshotXml,
  withDescription,
} from './ops/snapshots.ts';
export { FakeSnapshotOps } from './ops/fake-snapshots.ts';
export { type ConsoleOps, FakeConsoleOps, serialPtyOf } from './ops/consoles.ts';
export { type DeviceOps, FakeDeviceOps, type HotplugDisk, LibvirtDeviceOps, freeTarget } from './ops/devices.ts';
export {
  type CdromBus,
  type CdromDrive,
  type DomainNicFacts,
  FakeVmDeviceOps,
  LibvirtVmDeviceOps,
  type VmDeviceOps,
  byTarget,
  cdromXml,
  nextSdTarget,
} from './ops/vm-devices.ts';
export { type DomainConfigOps, FakeDomainConfigOps, LibvirtDomainConfigOps } from './ops/domain-config.ts';
export {
  type BootOps,
  type BootRef,
  type BootSettings,
  type BootState,
  FakeBootOps,
  LibvirtBootOps,
} from './ops/boot.ts';
export { applyBoot, readBoot } from './xml/boot.ts';
export {
  FakeMigrationOps,
  LibvirtMigrationOps,
  type MigrateRequest,
  type MigrationJobStats,
  type MigrationOps,
  VIR_DOMAIN_JOB,
  appendSerialLog,
  migrateFlags,
  moveDisks,
  parseJobStats,
} from './ops/migration.ts';
export { parseDomainCpu, parseHostCpu } from './cpu.ts';
export { type DomainXmlOps, FakeDomainXmlOps, LibvirtDomainXmlOps } from './ops/domain-xml.ts';
