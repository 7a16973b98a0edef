/**
 * An in-memory hypervisor behind the same `Hypervisor` interface, for unit tests and scale runs
 * only (scripts/scale): it lets one process host a hundred simulated hosts of a hundred domains
 * each, as real agents speaking the real protocol. Never a proof that a feature works with
 * libvirt; the lab's real libvirt hosts are that.
 *
 * It behaves like libvirt where the agent can tell: calls change state at once, lifecycle events
 * follow asynchronously (as D-Bus signals arrive after the call returns) with libvirt's words,
 * an ACPI shutdown takes a while and ends in `stopped/shutdown`, states carry libvirt's reasons,
 * and bulk stats give plausible, slowly wandering figures.
 */
import { FakeCpuOps } from './ops/cpu.ts';
import { FakeDomainXmlOps } from './ops/domain-xml.ts';
import { randomUUID } from 'node:crypto';
import type { DomainInfo, DomainState, DomainType, HostInfo } from '@vireo/protocol';
import { VireoError } from '@vireo/protocol';
import { FakeNetworkOps } from './fake-networks.ts';
import { diskTargets } from './xml/build.ts';
import type {
  DomainDigest,
  DomainHardware,
  DomainEvent,
  DomainSpec,
  Hypervisor,
  HypervisorConnection,
  StatsSample,
} from './hypervisor.ts';
import { FakeConsoleOps } from './ops/consoles.ts';
import { FakeDeviceOps } from './ops/devices.ts';
import { FakeVmDeviceOps } from './ops/vm-devices.ts';
import { FakeBootOps } from './ops/boot.ts';
import { FakeDomainConfigOps } from './ops/domain-config.ts';
import { FakeStorage } from './ops/fake-storage.ts';
import type { DomainLifecycleOps } from './ops/domain-lifecycle.ts';
import { FakeSnapshotOps } from './ops/fake-snapshots.ts';
import { FakeMigrationOps } from './ops/migration.ts';

const MIB = 1024 * 1024;

export interface FakeDomainSeed {
  uuid?: string;
  name: string;
  state?: 'running' | 'shutoff' | 'paused';
  vcpus?: number;
  memoryMiB?: number;
}

export interface FakeHypervisorOptions {
  /** Unique per instance unless given: every simulated host must have its own identity. */
  hostUuid?: string;
  hostname?: string;
  cpuCount?: number;
  memoryBytes?: number;
  domainTypes?: DomainType[];
  /** Paths reported as VM storage, with a fixed size (nothing is read from disk). */
  storageDirs?: string[];
  /** Domains that exist before the agent connects (foreign to Vireo until it records them). */
  domains?: FakeDomainSeed[];
  /** How long a guest takes to power off after an ACPI shutdown request (default 300 ms). */
  shutdownDelayMs?: number;
  /** Random source, for reproducible figures in tests (default Math.random). */
  random?: () => number;
}

interface FakeDomain {
  info: DomainInfo;
  disks: string[];
  /** What it was defined from (absent for seeded domains). */
  spec?: DomainSpec;
  /** CPU % the guest wanders around while running. */
  cpuBase: number;
  cpu: number;
  shutdownTimer?: NodeJS.Timeout | undefined;
}

export class FakeHypervisor implements Hypervisor {
  readonly storage = new FakeStorage();
  readonly hostUuid: string;
  readonly networks = new FakeNetworkOps();
  readonly lifecycle: DomainLifecycleOps = this.fakeLifecycle();
  readonly consoles = new FakeConsoleOps();
  readonly devices = new FakeDeviceOps();
  readonly vmDevices = new FakeVmDeviceOps();
  readonly config = new FakeDomainConfigOps();
  readonly boot = new FakeBootOps();
  readonly migration = new FakeMigrationOps();
  readonly cpu = new FakeCpuOps();
  readonly definitions = new FakeDomainXmlOps();
  private readonly domains = new Map<string, FakeDomain>();
  readonly snapshots = new FakeSnapshotOps((uuid) => this.domains.get(uuid)?.info.state);
  private readonly volumes = new Set<string>();
  private readonly listeners = new Set<(e: DomainEvent) => void>();
  private readonly connectionListeners = new Set<(c: HypervisorConnection) => void>();
  private readonly random: () => number;
  private connected = false;
  /** Calls made, by method name: lets tests and scale runs see what the agent asked for. */
  readonly calls = new Map<string, number>();

  constructor(private readonly opts: FakeHypervisorOptions = {}) {
    this.hostUuid = opts.hostUuid ?? randomUUID();
    this.random = opts.random ?? Math.random;
    for (const seed of opts.domains ?? []) this.seed(seed);
  }

  private seed(s: FakeDomainSeed): FakeDomain {
    const state = s.state ?? 'running';
    const cpuBase = 2 + this.random() * 20;
    const d: FakeDomain = {
      info: {
        uuid: s.uuid ?? randomUUID(),
        name: s.name,
        state,
        reason: state === 'running' ? 'booted' : state === 'paused' ? 'user' : 'shutdown',
        vcpus: s.vcpus ?? 1,
        memoryMiB: s.memoryMiB ?? 128,
        maxMemoryMiB: s.memoryMiB ?? 128,
        persistent: true,
      },
      disks: [],
      cpuBase,
      cpu: cpuBase,
    };
    this.domains.set(d.info.uuid, d);
    return d;
  }

  private count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  /** Calls fail like libvirt's do when the agent has not connected (or closed). */
  private check(what: string): void {
    if (!this.connected) throw new VireoError('LIBVIRT_ERROR', `Cannot ${what}: the fake hypervisor is not connected.`);
  }

  private must(uuid: string, what: string): FakeDomain {
    this.check(what);
    const d = this.domains.get(uuid);
    if (!d)
      throw new VireoError('NOT_FOUND', `Domain not found: no domain with matching uuid '${uuid}'`, { object: 'vm' });
    return d;
  }

  async connect(): Promise<void> {
    this.connected = true;
  }

  async close(): Promise<void> {
    this.connected = false;
    for (const d of this.domains.values()) clearTimeout(d.shutdownTimer);
  }

  async hostInfo(): Promise<HostInfo> {
    this.check('read host capabilities');
    this.count('hostInfo');
    const memoryBytes = this.opts.memoryBytes ?? 512 * 1024 * MIB;
    return {
      hostUuid: this.hostUuid,
      hostname: this.opts.hostname ?? `fake-${this.hostUuid.slice(0, 8)}`,
      cpuModel: 'Fake CPU',
      cpuCount: this.opts.cpuCount ?? 64,
      memoryBytes,
      memoryFreeBytes: Math.max(0, memoryBytes - this.committedMiB() * MIB),
      libvirtVersion: '9.0.0',
      qemuVersion: '7.2.0',
      domainTypes: this.opts.domainTypes ?? ['kvm', 'qemu'],
      storage: (this.opts.storageDirs ?? []).map((path) => ({
        path,
        capacityBytes: 4 * 1024 * 1024 * MIB,
        availableBytes: 3 * 1024 * 1024 * MIB,
      })),
    };
  }

  private committedMiB(): number {
    let n = 0;
    for (const d of this.domains.values()) if (d.info.state !== 'shutoff') n += d.info.memoryMiB;
    return n;
  }

  async listDomains(): Promise<DomainInfo[]> {
    this.check('list domains');
    this.count('listDomains');
    return [...this.domains.values()].map((d) => ({ ...d.info }));
  }

  async domainDigests(): Promise<{ uuids: string[]; domains: DomainDigest[] }> {
    this.check('list domains');
    this.count('domainDigests');
    const all = [...this.domains.values()].map((d) => d.info);
    return {
      uuids: all.map((d) => d.uuid),
      // As GetAllDomainStats: figures only for inactive domains (see hypervisor.ts).
      domains: all.map((d) =>
        d.state === 'shutoff'
          ? { name: d.name, state: d.state, memoryMiB: d.memoryMiB, maxMemoryMiB: d.maxMemoryMiB, vcpus: d.vcpus }
          : { name: d.name, state: d.state },
      ),
    };
  }

  async domain(uuid: string): Promise<DomainInfo | null> {
    this.check('read domain');
    this.count('domain');
    const d = this.domains.get(uuid);
    return d ? { ...d.info } : null;
  }

  prepareDomain(_spec: DomainSpec): void {
    // Nothing to validate ahead: the fake builds no XML.
  }

  async defineDomain(spec: DomainSpec): Promise<DomainInfo> {
    this.check(`define domain ${spec.name}`);
    this.count('defineDomain');
    const existing = this.domains.get(spec.uuid);
    for (const d of this.domains.values()) {
      if (d.info.name === spec.name && d.info.uuid !== spec.uuid)
        throw new VireoError('CONFLICT', `domain '${spec.name}' already exists with uuid ${d.info.uuid}`, {
          object: 'vm',
        });
    }
    const d =
      existing ??
      this.seed({ uuid: spec.uuid, name: spec.name, state: 'shutoff', vcpus: spec.vcpus, memoryMiB: spec.memoryMiB });
    d.disks = spec.disks.flatMap((disk) => (disk.device === 'disk' && disk.path ? [disk.path] : []));
    d.spec = spec;
    this.emit(d, 'defined', existing ? 'updated' : 'added');
    return { ...d.info };
  }

  async startDomain(uuid: string): Promise<void> {
    const d = this.must(uuid, 'start domain');
    this.count('startDomain');
    if (d.info.state !== 'shutoff' && d.info.state !== 'crashed')
      throw new VireoError('INVALID_STATE', 'Requested operation is not valid: domain is already running', {
        object: 'vm',
      });
    this.set(d, 'running', 'booted');
    this.emit(d, 'started', 'booted');
  }

  async shutdownDomain(uuid: string): Promise<void> {
    const d = this.must(uuid, 'shut down domain');
    this.count('shutdownDomain');
    if (d.info.state === 'shutoff')
      throw new VireoError('INVALID_STATE', 'Requested operation is not valid: domain is not running', {
        object: 'vm',
      });
    if (d.shutdownTimer) return; // the guest is already on its way down
    d.shutdownTimer = setTimeout(() => {
      d.shutdownTimer = undefined;
      if (d.info.state === 'shutoff' || this.domains.get(uuid) !== d) return;
      this.emit(d, 'shutdown', 'finished');
      this.set(d, 'shutoff', 'shutdown');
      this.emit(d, 'stopped', 'shutdown');
    }, this.opts.shutdownDelayMs ?? 300);
  }

  async destroyDomain(uuid: string): Promise<void> {
    const d = this.must(uuid, 'force off domain');
    this.count('destroyDomain');
    if (d.info.state === 'shutoff')
      throw new VireoError('INVALID_STATE', 'Requested operation is not valid: domain is not running', {
        object: 'vm',
      });
    clearTimeout(d.shutdownTimer);
    d.shutdownTimer = undefined;
    this.set(d, 'shutoff', 'destroyed');
    this.emit(d, 'stopped', 'destroyed');
  }

  async undefineDomain(uuid: string): Promise<void> {
    const d = this.must(uuid, 'undefine domain');
    this.count('undefineDomain');
    // A running transient-less domain stays running after undefine in libvirt; Vireo only
    // undefines shut-off ones, so the fake simply forgets it.
    this.domains.delete(uuid);
    this.emit(d, 'undefined', 'removed');
  }

  async domainDiskPaths(uuid: string): Promise<string[]> {
    return [...this.must(uuid, 'read the XML of domain').disks];
  }

  async domainHardware(uuid: string): Promise<DomainHardware> {
    const spec = this.must(uuid, 'read the XML of domain').spec;
    if (!spec) return { firmware: 'bios', drives: [], nics: [] };
    const targets = diskTargets(spec.disks, spec.type === 'xen');
    return {
      firmware: spec.boot.firmware,
      drives: spec.disks.map((d, i) => ({
        ...(d.path ? { path: d.path } : {}),
        device: d.device,
        bus: targets[i]!.bus,
        target: targets[i]!.dev,
        format: d.format,
        readOnly: Boolean(d.readOnly) || d.device === 'cdrom',
      })),
      nics: spec.nics.map((n) => ({
        type: 'network',
        mac: n.mac,
        network: n.network,
        model: n.model,
        ...(n.filter ? { filter: n.filter } : {}),
      })),
    };
  }

  async vncSocketPath(uuid: string): Promise<string> {
    const d = this.must(uuid, 'read the XML of domain');
    if (d.info.state !== 'running' && d.info.state !== 'paused')
      throw new VireoError('INVALID_STATE', 'The VM has no VNC socket; is it running?', { object: 'vm' });
    return `/nonexistent/fake-vnc/${uuid}.sock`;
  }

  async createOverlay(_basePath: string, path: string): Promise<void> {
    this.check('create an overlay');
    this.count('createOverlay');
    this.volumes.add(path);
  }

  async deleteVolume(path: string): Promise<void> {
    this.check('delete a volume');
    this.count('deleteVolume');
    this.volumes.delete(path);
  }

  /**
   * Running guests' CPU % wander around a per-guest base (a bounded random walk); memory used is
   * most of what the guest was given, as a balloon RSS would show.
   */
  async sampleStats(): Promise<StatsSample> {
    this.check('read domain stats');
    this.count('sampleStats');
    const domains: StatsSample['domains'] = [];
    let busy = 0;
    for (const d of this.domains.values()) {
      if (d.info.state !== 'running') continue;
      d.cpu = Math.min(100, Math.max(0, d.cpu + (this.random() - 0.5) * 4 + (d.cpuBase - d.cpu) * 0.1));
      busy += (d.cpu * d.info.vcpus) / 100;
      domains.push({
        uuid: d.info.uuid,
        cpuUsagePercent: Math.round(d.cpu * 10) / 10,
        memoryUsedBytes: Math.round(d.info.memoryMiB * MIB * (0.55 + d.cpuBase / 100)),
      });
    }
    const info = await this.hostInfo();
    return {
      host: {
        cpuUsagePercent: Math.min(100, Math.round((busy / info.cpuCount) * 1000) / 10),
        memoryFreeBytes: info.memoryFreeBytes,
      },
      domains,
    };
  }

  onDomainEvent(listener: (event: DomainEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onConnectionChange(listener: (c: HypervisorConnection) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  // ---- for the scale harness and tests: changes "behind Vireo's back", as virsh would make ----

  /** Every domain's uuid, in insertion order. */
  uuids(): string[] {
    return [...this.domains.keys()];
  }

  /** `virsh suspend`. */
  suspend(uuid: string): void {
    const d = this.must(uuid, 'suspend domain');
    if (d.info.state !== 'running') throw new VireoError('INVALID_STATE', 'domain is not running', { object: 'vm' });
    this.set(d, 'paused', 'user');
    this.emit(d, 'suspended', 'paused');
  }

  /** `virsh resume`. */
  resume(uuid: string): void {
    const d = this.must(uuid, 'resume domain');
    if (d.info.state !== 'paused') throw new VireoError('INVALID_STATE', 'domain is not paused', { object: 'vm' });
    this.set(d, 'running', 'unpaused');
    this.emit(d, 'resumed', 'unpaused');
  }

  /** The lifecycle facet in memory: states and events as libvirt reports them, no guest. */
  private fakeLifecycle(): DomainLifecycleOps {
    const saved = new Set<string>();
    const running = (uuid: string, what: string) => {
      const d = this.must(uuid, what);
      if (d.info.state !== 'running' && d.info.state !== 'paused')
        throw new VireoError('INVALID_STATE', 'Requested operation is not valid: domain is not running', {
          object: 'vm',
        });
      return d;
    };
    return {
      reboot: async (uuid) => void running(uuid, 'reboot domain'),
      reset: async (uuid) => void running(uuid, 'reset domain'),
      pause: async (uuid) => this.suspend(uuid),
      resume: async (uuid) => this.resume(uuid),
      wakeup: async (uuid) => {
        const d = this.must(uuid, 'wake up domain');
        this.set(d, 'running', 'wakeup');
        this.emit(d, 'started', 'wakeup');
      },
      managedSave: async (uuid) => {
        const d = running(uuid, 'save domain');
        saved.add(uuid);
        this.set(d, 'shutoff', 'saved');
        this.emit(d, 'stopped', 'saved');
      },
      hasManagedSave: async (uuid) => {
        this.must(uuid, 'read managed save');
        return saved.has(uuid);
      },
      create: async (uuid, { paused }) => {
        await this.startDomain(uuid);
        const d = this.must(uuid, 'start domain');
        if (saved.delete(uuid)) this.set(d, 'running', 'restored');
        if (paused) this.suspend(uuid);
      },
    };
  }

  /** Whether a volume was created (and not deleted) at this path. */
  hasVolume(path: string): boolean {
    return this.volumes.has(path);
  }

  /** libvirt lost (`up: false`) or back: as libvirt-dbus reports a daemon restart. */
  setConnection(c: HypervisorConnection): void {
    for (const l of this.connectionListeners) l(c);
  }

  private set(d: FakeDomain, state: DomainState, reason: string): void {
    d.info = { ...d.info, state, reason };
    if (state === 'running') d.cpu = d.cpuBase;
  }

  /** Signals arrive after the call that caused them returned, as D-Bus signals do. */
  private emit(d: FakeDomain, event: string, detail: string): void {
    const e: DomainEvent = { uuid: d.info.uuid, name: d.info.name, event, detail };
    setImmediate(() => {
      for (const l of this.listeners) {
        try {
          l(e);
        } catch {
          // A listener that throws must not stop the others (as in the libvirt implementation).
        }
      }
    });
  }
}
