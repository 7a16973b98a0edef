/**
 * Hypervisor over libvirt-dbus (system bus → org.libvirt → /org/libvirt/<driver>).
 * Method names and signatures: /usr/share/dbus-1/interfaces/org.libvirt.{Connect,Domain}.xml
 * (libvirt-dbus 1.4.1).
 */
import { statfs } from 'node:fs/promises';
import dbus from 'dbus-next';
import type { DomainInfo, DomainType, Firmware, HostInfo } from '@vireo/protocol';
import { VireoError } from '@vireo/protocol';
import { parseCapabilities, usableDomainTypes } from './capabilities.ts';
import { buildDomainXml, parseDomainXml } from './domain-xml.ts';
import type {
  DomainDigest,
  DomainHardware,
  DomainEvent,
  DomainSpec,
  Hypervisor,
  HypervisorConnection,
  StatsSample,
} from './hypervisor.ts';
import { type IoCounters, ioCounters, ioRates } from './domain-io.ts';
import { LibvirtBus } from './libvirt-bus.ts';
import { type DomainPlatform, canonicalMachine, choosePlatform, machineAlias } from './platform.ts';
import { type ConsoleOps, LibvirtConsoleOps } from './ops/consoles.ts';
import { type DeviceOps, LibvirtDeviceOps } from './ops/devices.ts';
import { LibvirtVmDeviceOps, type VmDeviceOps } from './ops/vm-devices.ts';
import { type DomainConfigOps, LibvirtDomainConfigOps } from './ops/domain-config.ts';
import { type BootOps, LibvirtBootOps } from './ops/boot.ts';
import { qemuStartedAt } from './qemu-process.ts';
import { IFACE, domainPath, libvirtUnreachable, uuidFromDomainPath } from './libvirt-call.ts';
import {
  VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN,
  VIR_DOMAIN_STATS,
  VIR_DOMAIN_UNDEFINE,
  VIR_NODE_CPU_STATS_ALL_CPUS,
  VIR_NODE_MEMORY_STATS_ALL_CELLS,
  eventToWords,
  stateToWords,
  versionToString,
} from './libvirt-constants.ts';
import { watchLibvirtd } from './libvirtd-identity.ts';
import { LibvirtStorage, type StorageOps } from './ops/storage.ts';
import { LibvirtNetworkOps, type NetworkOps } from './ops/networks.ts';
import { type DomainLifecycleOps, LibvirtDomainLifecycle } from './ops/domain-lifecycle.ts';
import { LibvirtSnapshotOps, type SnapshotOps } from './ops/snapshots.ts';
import { LibvirtMigrationOps, type MigrationOps } from './ops/migration.ts';
import { type CpuOps, LibvirtCpuOps } from './ops/cpu.ts';
import { parseHostCpu } from './cpu.ts';
import { type DomainXmlOps, LibvirtDomainXmlOps } from './ops/domain-xml.ts';
import { validateXml } from './validate-xml.ts';
import * as volumes from './volumes.ts';

export interface LibvirtDbusOptions {
  /** libvirt-dbus object for the driver: 'QEMU' (qemu:///system), 'Test' (test:///default), 'Xen'. */
  driver?: string;
  /** Directories whose capacity hostInfo reports (the agent's VM storage). */
  storageDirs?: string[];
  /** Bus factory, for tests; defaults to the system bus. Called again after the bus is lost. */
  bus?: () => dbus.MessageBus;
  /** Reconnect delays after a loss (default 250 ms doubling to 5 s). */
  reconnectBackoff?: { initialMs: number; maxMs: number };
  /** Errors no caller waits for: a D-Bus connection error (recovery follows), a listener that threw. */
  onError?: (err: Error) => void;
  kvmUsable?: () => Promise<boolean>;
  /**
   * How often to check whether libvirtd was restarted (its pid and start time, from its pidfile:
   * two small file reads). 0 = never. A restart is reported as down then up on onConnectionChange.
   */
  libvirtdWatchMs?: number;
  /** Pidfiles to read libvirtd's pid from (default LIBVIRTD_PIDFILES), for tests. */
  libvirtdPidfiles?: readonly string[];
}

/** libvirt-dbus wraps property values twice (a{sv} whose v holds another v); unwrap all levels. */
function unwrap(v: unknown): unknown {
  while (v instanceof dbus.Variant) v = v.value;
  return v;
}

const num = (v: unknown): number => Number(unwrap(v) ?? 0);

/** virConnectGetAllDomainStats flags: https://libvirt.org/html/libvirt-libvirt-domain.html#virConnectGetAllDomainStatsFlags */
const ACTIVE_ONLY = 1; // VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE
const INACTIVE_ONLY = 2; // VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE
/** Early validations kept at most (creates in flight on one host). */
const PREPARED_MAX = 32;
/** One GetAllDomainStats record: (domain name, typed parameters). */
type StatsRecord = [string, Record<string, unknown>];

interface CpuSample {
  atNs: bigint;
  hostBusy: bigint;
  hostTotal: bigint;
  domains: Map<string, { cpuTime: bigint; io: IoCounters }>;
}

export class LibvirtDbusHypervisor implements Hypervisor {
  private link: LibvirtBus | undefined;
  private readonly connectPath: string;
  private readonly listeners = new Set<(e: DomainEvent) => void>();
  private readonly connectionListeners = new Set<(c: HypervisorConnection) => void>();
  /** uuid → name, so an "undefined" event (domain already gone) still carries the name. */
  private readonly names = new Map<string, string>();
  private prevCpu: CpuSample | undefined;
  private stopWatch: (() => void) | undefined;
  readonly networks: NetworkOps;
  /** Platform choices by `<type>/<firmware>`; dropped whenever the connection to libvirt changes. */
  private readonly platforms = new Map<string, DomainPlatform>();
  /** uuid → the XML prepareDomain validated (or is validating) for it. */
  private readonly prepared = new Map<string, Promise<string>>();

  readonly storage: StorageOps;
  readonly lifecycle: DomainLifecycleOps;
  readonly snapshots: SnapshotOps;
  readonly consoles: ConsoleOps;
  readonly devices: DeviceOps;
  readonly vmDevices: VmDeviceOps;
  readonly config: DomainConfigOps;
  readonly boot: BootOps;
  readonly migration: MigrationOps;
  readonly cpu: CpuOps;
  readonly definitions: DomainXmlOps;

  constructor(private readonly opts: LibvirtDbusOptions = {}) {
    this.connectPath = `/org/libvirt/${opts.driver ?? 'QEMU'}`;
    this.storage = new LibvirtStorage(this.call.bind(this), this.connectPath);
    this.networks = new LibvirtNetworkOps((...a) => this.call(...a), this.connectPath);
    this.lifecycle = new LibvirtDomainLifecycle((...a) => this.call(...a), this.connectPath);
    this.snapshots = new LibvirtSnapshotOps((...a) => this.call(...a), this.connectPath);
    this.consoles = new LibvirtConsoleOps((...a) => this.call(...a), this.connectPath);
    this.devices = new LibvirtDeviceOps((...a) => this.call(...a), this.connectPath);
    this.vmDevices = new LibvirtVmDeviceOps((...a) => this.call(...a), this.connectPath);
    this.config = new LibvirtDomainConfigOps((...a) => this.call(...a), this.connectPath);
    this.boot = new LibvirtBootOps(
      (...a) => this.call(...a),
      this.connectPath,
      async (type, firmware) => {
        return (await this.platformFor(type, firmware)).uefi;
      },
    );
    this.migration = new LibvirtMigrationOps((...a) => this.call(...a), this.connectPath);
    this.cpu = new LibvirtCpuOps((...a) => this.call(...a), this.connectPath);
    this.definitions = new LibvirtDomainXmlOps((...a) => this.call(...a), this.connectPath);
  }

  async connect(): Promise<void> {
    const link = new LibvirtBus({
      connectPath: this.connectPath,
      ...(this.opts.bus ? { bus: this.opts.bus } : {}),
      ...(this.opts.reconnectBackoff ? { backoff: this.opts.reconnectBackoff } : {}),
      onMessage: (msg) => this.onMessage(msg),
      onChange: (c) => {
        this.platforms.clear();
        this.notify(this.connectionListeners, c);
      },
      onError: (err) => this.opts.onError?.(err),
    });
    try {
      await link.open();
    } catch (err) {
      link.close();
      throw err;
    }
    this.link = link;
    const every = this.opts.libvirtdWatchMs ?? 0;
    if (every > 0) {
      const restarted = () => link.restarted('libvirtd restarted');
      this.stopWatch = await watchLibvirtd(every, this.opts.libvirtdPidfiles, restarted);
    }
  }

  async close(): Promise<void> {
    this.stopWatch?.();
    this.stopWatch = undefined;
    this.link?.close();
    this.link = undefined;
  }

  // ---- the one path to libvirt ---------------------------------------------------------------

  private async call(
    path: string,
    iface: string,
    method: string,
    signature: string,
    args: unknown[],
    what: string,
    timeoutMs?: number,
  ) {
    if (!this.link) throw libvirtUnreachable('the agent has not connected to it', what);
    return this.link.call({ path, iface, method, signature, args, what, ...(timeoutMs ? { timeoutMs } : {}) });
  }
  private connectCall(method: string, signature: string, args: unknown[], what: string) {
    return this.call(this.connectPath, IFACE.connect, method, signature, args, what);
  }
  private domainCall(uuid: string, method: string, signature: string, args: unknown[], what: string) {
    return this.call(domainPath(this.connectPath, uuid), IFACE.domain, method, signature, args, what);
  }
  private async connectProp(name: string, what: string): Promise<unknown> {
    const [v] = await this.call(this.connectPath, IFACE.properties, 'Get', 'ss', [IFACE.connect, name], what);
    return unwrap(v);
  }

  // ---- domains -------------------------------------------------------------------------------

  private async domainInfoAt(path: string): Promise<DomainInfo> {
    const uuid = uuidFromDomainPath(path);
    if (!uuid) throw new VireoError('INTERNAL', `Unexpected libvirt-dbus domain path ${path}`);
    const what = `read domain ${uuid}`;
    // Properties.GetAll on a missing domain answers {} instead of an error (libvirt-dbus 1.4.1),
    // so GetState/GetXMLDesc are the calls that report "Domain not found".
    const [[stateTuple], [xml], [props]] = await Promise.all([
      this.call(path, IFACE.domain, 'GetState', 'u', [0], what),
      this.call(path, IFACE.domain, 'GetXMLDesc', 'u', [0], what),
      this.call(path, IFACE.properties, 'GetAll', 's', [IFACE.domain], what),
    ]);
    const [state, reason] = stateTuple as [number, number];
    const parsed = parseDomainXml(xml as string);
    this.names.set(uuid, parsed.name);
    const words = stateToWords(state, reason);
    // Only the QEMU driver keeps a pid file (qemu-process.ts); the test driver has no process.
    const live = words.state === 'running' || words.state === 'paused';
    const startedAt = live && (this.opts.driver ?? 'QEMU') === 'QEMU' ? await qemuStartedAt(parsed.name) : undefined;
    return {
      uuid,
      name: parsed.name,
      ...words,
      ...(startedAt ? { startedAt } : {}),
      vcpus: parsed.vcpus,
      memoryMiB: parsed.memoryMiB,
      maxMemoryMiB: parsed.maxMemoryMiB,
      persistent: Boolean(unwrap((props as Record<string, unknown>).Persistent)),
    };
  }

  async listDomains(): Promise<DomainInfo[]> {
    const [paths] = await this.connectCall('ListDomains', 'u', [0], 'list domains');
    const infos = await Promise.all(
      (paths as string[]).map((p) =>
        // A domain undefined between the list and the read is simply gone.
        this.domainInfoAt(p).catch((err) => (VireoError.is(err, 'NOT_FOUND', 'vm') ? null : Promise.reject(err))),
      ),
    );
    return infos.filter((d): d is DomainInfo => d !== null);
  }

  async domainDigests(): Promise<{ uuids: string[]; domains: DomainDigest[] }> {
    const S = VIR_DOMAIN_STATS;
    const [[paths], [active], [inactive]] = await Promise.all([
      this.connectCall('ListDomains', 'u', [0], 'list domains'),
      this.connectCall('GetAllDomainStats', 'uu', [S.STATE, ACTIVE_ONLY], 'read domain states'),
      this.connectCall('GetAllDomainStats', 'uu', [S.STATE | S.BALLOON | S.VCPU, INACTIVE_ONLY], 'read domain states'),
    ]);
    const uuids = (paths as string[]).map(uuidFromDomainPath).filter((u): u is string => Boolean(u));
    const domains = [...(active as StatsRecord[]), ...(inactive as StatsRecord[])].map(([name, p]) => {
      const d: DomainDigest = { name, state: stateToWords(num(p['state.state']), num(p['state.reason'])).state };
      // Present for inactive domains only (not requested for active ones). KiB → MiB as parseDomainXml.
      if (p['balloon.current'] !== undefined) d.memoryMiB = Math.round(num(p['balloon.current']) / 1024);
      if (p['balloon.maximum'] !== undefined) d.maxMemoryMiB = Math.round(num(p['balloon.maximum']) / 1024);
      if (p['vcpu.current'] !== undefined) d.vcpus = num(p['vcpu.current']);
      return d;
    });
    return { uuids, domains };
  }

  async domain(uuid: string): Promise<DomainInfo | null> {
    try {
      return await this.domainInfoAt(domainPath(this.connectPath, uuid));
    } catch (err) {
      if (VireoError.is(err, 'NOT_FOUND', 'vm')) return null;
      throw err;
    }
  }

  /**
   * Starts validating the XML `spec` will be defined with, so the validator (a long-lived xmllint
   * that parses libvirt's domain schema per call, ~20-60 ms) runs while the caller makes the disks. defineDomain of a spec that yields the
   * very same XML waits for this verdict instead of validating again; any other XML is validated
   * as usual. Nothing reaches libvirt unvalidated either way.
   */
  prepareDomain(spec: DomainSpec): void {
    const verdict = (async () => {
      const xml = await this.domainXmlOf(spec);
      await validateXml(xml, 'domain');
      return xml;
    })();
    verdict.catch(() => {}); // a rejection is reported to defineDomain, if it comes
    this.prepared.set(spec.uuid, verdict);
    // Abandoned creates must not grow the map: keep the newest few.
    for (const key of this.prepared.keys()) {
      if (this.prepared.size <= PREPARED_MAX) break;
      this.prepared.delete(key);
    }
  }

  private async domainXmlOf(spec: DomainSpec): Promise<string> {
    const platform = spec.platform ?? (await this.platformFor(spec.type, spec.boot.firmware));
    return buildDomainXml({ ...spec, platform });
  }

  async defineDomain(spec: DomainSpec): Promise<DomainInfo> {
    const xml = await this.domainXmlOf(spec);
    const prepared = this.prepared.get(spec.uuid);
    this.prepared.delete(spec.uuid);
    // Only the verdict on this exact text counts; a failed early check (e.g. the validator could
    // not start) is not trusted either way: validate again.
    if (!prepared || (await prepared.catch(() => null)) !== xml) await validateXml(xml, 'domain');
    // libvirt-dbus 1.4.1: DomainDefineXML(s xml) → o, no flags argument.
    const [path] = await this.connectCall('DomainDefineXML', 's', [xml], `define domain ${spec.name}`);
    return this.domainInfoAt(path as string);
  }

  async startDomain(uuid: string): Promise<void> {
    await this.domainCall(uuid, 'Create', 'u', [0], `start domain ${this.label(uuid)}`);
  }
  async shutdownDomain(uuid: string): Promise<void> {
    await this.domainCall(
      uuid,
      'Shutdown',
      'u',
      [VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN],
      `shut down domain ${this.label(uuid)}`,
    );
  }
  async destroyDomain(uuid: string): Promise<void> {
    await this.domainCall(uuid, 'Destroy', 'u', [0], `force off domain ${this.label(uuid)}`);
  }
  async undefineDomain(uuid: string, opts: { keepNvram?: boolean } = {}): Promise<void> {
    const f = VIR_DOMAIN_UNDEFINE;
    const flags =
      f.MANAGED_SAVE | f.SNAPSHOTS_METADATA | f.CHECKPOINTS_METADATA | (opts.keepNvram ? f.KEEP_NVRAM : f.NVRAM);
    await this.domainCall(uuid, 'Undefine', 'u', [flags], `undefine domain ${this.label(uuid)}`);
  }

  /**
   * Machine type, CPU mode and UEFI loader for a new domain, from the host's capabilities and the
   * domain capabilities of that machine (both cached: they change only with a new QEMU/libvirt,
   * which means a libvirtd restart, after which the cache is dropped).
   */
  private async platformFor(type: DomainType, firmware: Firmware): Promise<DomainPlatform> {
    const key = `${type}/${firmware}`;
    const cached = this.platforms.get(key);
    if (cached) return cached;
    const [capsXml] = await this.connectCall('GetCapabilities', '', [], 'read host capabilities');
    const machine = canonicalMachine(capsXml as string, type, machineAlias(type, firmware));
    const [domCapsXml] = await this.connectCall(
      'GetDomainCapabilities',
      'ssssu',
      ['', 'x86_64', machine, type, 0],
      `read the domain capabilities of ${type}/${machine}`,
    );
    const platform = choosePlatform({ machine, domCapsXml: domCapsXml as string, type, firmware });
    this.platforms.set(key, platform);
    return platform;
  }

  async domainHardware(uuid: string): Promise<DomainHardware> {
    const d = await this.domainXml(uuid);
    return { firmware: d.firmware, drives: d.drives, nics: d.nics, ...(d.machine ? { machine: d.machine } : {}) };
  }

  private label(uuid: string): string {
    return this.names.get(uuid) ?? uuid;
  }

  private async domainXml(uuid: string): Promise<ReturnType<typeof parseDomainXml>> {
    const [xml] = await this.domainCall(uuid, 'GetXMLDesc', 'u', [0], `read the XML of domain ${this.label(uuid)}`);
    return parseDomainXml(xml as string);
  }

  async domainDiskPaths(uuid: string): Promise<string[]> {
    return (await this.domainXml(uuid)).disks.filter((d) => d.device === 'disk').map((d) => d.path);
  }

  async vncSocketPath(uuid: string): Promise<string> {
    const socket = (await this.domainXml(uuid)).vncSocket;
    if (!socket) throw new VireoError('INVALID_STATE', 'The VM has no VNC socket; is it running?', { object: 'vm' });
    return socket;
  }

  createOverlay(basePath: string, path: string): Promise<void> {
    return volumes.createOverlay(basePath, path);
  }
  deleteVolume(path: string): Promise<void> {
    return volumes.deleteVolume(path);
  }

  // ---- host ----------------------------------------------------------------------------------

  async hostInfo(): Promise<HostInfo> {
    const [[capsXml], hostname, libVersion, version, [cpuMap], memory, storage] = await Promise.all([
      this.connectCall('GetCapabilities', '', [], 'read host capabilities'),
      this.connectProp('Hostname', 'read the hostname'),
      this.connectProp('LibVersion', 'read the libvirt version'),
      this.connectProp('Version', 'read the hypervisor version'),
      this.connectCall('NodeGetCPUMap', 'u', [0], 'read the CPU map'),
      this.nodeMemory(),
      Promise.all((this.opts.storageDirs ?? []).map(storageOf)),
    ]);
    const caps = parseCapabilities(capsXml as string);
    const domainTypes = await usableDomainTypes(caps, this.opts.kvmUsable);
    return {
      hostUuid: caps.hostUuid,
      hostname: String(hostname),
      cpuModel: caps.cpuModel,
      cpuCount: (cpuMap as boolean[]).length,
      memoryBytes: memory.totalBytes,
      memoryFreeBytes: memory.freeBytes,
      libvirtVersion: versionToString(libVersion as bigint),
      qemuVersion: versionToString(version as bigint),
      domainTypes,
      cpu: parseHostCpu(capsXml as string, await this.domainCapsXml(domainTypes[0])),
      storage,
    };
  }

  /**
   * Domain capabilities of the default machine for the host's best domain type: they list the
   * named CPU models a guest can be given. '' when unknown (the CPU check then sees no models).
   */
  private async domainCapsXml(type: DomainType | undefined): Promise<string> {
    if (!type) return '';
    try {
      const [xml] = await this.connectCall(
        'GetDomainCapabilities',
        'ssssu',
        ['', 'x86_64', '', type, 0],
        'read the domain capabilities',
      );
      return xml as string;
    } catch (err) {
      console.warn(`[hypervisor] could not read the domain capabilities of ${type}:`, err);
      return '';
    }
  }

  /** Free = MemFree + buffers + page cache: what the kernel can hand to a new guest. */
  private async nodeMemory(): Promise<{ totalBytes: number; freeBytes: number }> {
    const [s] = await this.connectCall(
      'NodeGetMemoryStats',
      'iu',
      [VIR_NODE_MEMORY_STATS_ALL_CELLS, 0],
      'read host memory',
    );
    const kib = s as Record<string, bigint>;
    const free = (kib.free ?? 0n) + (kib.buffers ?? 0n) + (kib.cached ?? 0n);
    return { totalBytes: Number(kib.total ?? 0n) * 1024, freeBytes: Number(free) * 1024 };
  }

  /**
   * One bulk call for all running domains (GetAllDomainStats) plus the host counters. CPU % is the
   * delta of cumulative CPU time since the previous sample; the first sample uses host counters
   * since boot and reports 0 for domains.
   */
  async sampleStats(): Promise<StatsSample> {
    const [[records], [cpu], memory] = await Promise.all([
      this.connectCall(
        'GetAllDomainStats',
        'uu',
        [
          VIR_DOMAIN_STATS.CPU_TOTAL | VIR_DOMAIN_STATS.BALLOON | VIR_DOMAIN_STATS.INTERFACE | VIR_DOMAIN_STATS.BLOCK,
          ACTIVE_ONLY,
        ],
        'read domain stats',
      ),
      this.connectCall('NodeGetCPUStats', 'iu', [VIR_NODE_CPU_STATS_ALL_CPUS, 0], 'read host CPU stats'),
      this.nodeMemory(),
    ]);
    const atNs = process.hrtime.bigint();
    const c = cpu as Record<string, bigint>;
    const hostBusy = (c.kernel ?? 0n) + (c.user ?? 0n);
    const hostTotal = hostBusy + (c.idle ?? 0n) + (c.iowait ?? 0n);
    const prev = this.prevCpu;
    const dBusy = hostBusy - (prev?.hostBusy ?? 0n);
    const dTotal = hostTotal - (prev?.hostTotal ?? 0n);
    const hostPct = dTotal > 0n ? Math.min(100, Math.max(0, (Number(dBusy) / Number(dTotal)) * 100)) : 0;

    // Records are (domain NAME, params): libvirt-dbus does not give the uuid or object path here.
    const byName = new Map([...this.names].map(([uuid, name]) => [name, uuid]));
    if ((records as unknown[]).some((r) => !byName.has((r as [string])[0]))) {
      for (const d of await this.listDomains()) byName.set(d.name, d.uuid);
    }
    const domainCounters: CpuSample['domains'] = new Map();
    const domains: StatsSample['domains'] = [];
    for (const [name, params] of records as [string, Record<string, unknown>][]) {
      const uuid = byName.get(name);
      if (!uuid) continue;
      const cpuTime = BigInt((unwrap(params['cpu.time']) as bigint | number | undefined) ?? 0);
      const io = ioCounters(params, num);
      domainCounters.set(uuid, { cpuTime, io });
      const before = prev?.domains.get(uuid);
      const dWall = prev ? atNs - prev.atNs : 0n;
      const pct = before !== undefined && dWall > 0n ? (Number(cpuTime - before.cpuTime) / Number(dWall)) * 100 : 0;
      const rssKiB = params['balloon.rss'] ?? params['balloon.current'];
      domains.push({
        uuid,
        cpuUsagePercent: Math.max(0, Math.round(pct * 10) / 10),
        ...(rssKiB !== undefined ? { memoryUsedBytes: num(rssKiB) * 1024 } : {}),
        ...(before !== undefined && dWall > 0n ? ioRates(io, before.io, Number(dWall) / 1e9) : {}),
      });
    }
    this.prevCpu = { atNs, hostBusy, hostTotal, domains: domainCounters };
    return {
      host: {
        cpuUsagePercent: Math.round(hostPct * 10) / 10,
        memoryFreeBytes: memory.freeBytes,
        memoryTotalBytes: memory.totalBytes,
      },
      domains,
    };
  }

  // ---- events --------------------------------------------------------------------------------

  onDomainEvent(listener: (event: DomainEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onConnectionChange(listener: (c: HypervisorConnection) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  private onMessage(msg: dbus.Message): void {
    if (msg.type !== dbus.MessageType.SIGNAL || msg.interface !== IFACE.connect) return;
    if (msg.member !== 'DomainEvent' || msg.path !== this.connectPath) return;
    // Signature (o domain, i event, i detail): see org.libvirt.Connect.xml.
    const [path, eventNo, detailNo] = msg.body as [string, number, number];
    const uuid = uuidFromDomainPath(path);
    if (!uuid) return;
    const words = eventToWords(eventNo, detailNo);
    this.notify(this.listeners, { uuid, name: this.names.get(uuid) ?? '', ...words });
  }

  /** A listener that throws must not stop the others, nor the bus' message loop. */
  private notify<T>(listeners: Set<(value: T) => void>, value: T): void {
    for (const l of listeners) {
      try {
        l(value);
      } catch (err) {
        this.opts.onError?.(err as Error);
      }
    }
  }
}

async function storageOf(path: string): Promise<HostInfo['storage'][number]> {
  const s = await statfs(path);
  return { path, capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
}
