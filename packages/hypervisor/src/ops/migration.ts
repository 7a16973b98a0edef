/**
 * Live and offline migration of a domain to another host, over libvirt-dbus Domain.{MigrateToURI3,
 * GetJobStats, AbortJob, MigrateSetMaxDowntime, MigrateSetMaxSpeed, MigrateStartPostCopy}
 * (libvirt-dbus 1.4.1, /usr/share/dbus-1/interfaces/org.libvirt.Domain.xml).
 *
 * Always peer-to-peer: the source libvirtd connects to the destination's libvirtd itself
 * (`dconuri`), so only the source agent takes part. MigrateToURI3 blocks for the whole migration
 * (minutes for a big guest on a slow link), so it is sent without Vireo's usual 60 s D-Bus timeout;
 * the caller watches it through GetJobStats and stops it with AbortJob.
 */
import dbus from 'dbus-next';
import { VireoError } from '@vireo/protocol';
import type { LibvirtCallFn } from '../libvirt-call.ts';
import { domainPath } from '../libvirt-call.ts';

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainMigrateFlags */
export const VIR_MIGRATE = {
  LIVE: 1,
  PEER2PEER: 2,
  PERSIST_DEST: 8,
  UNDEFINE_SOURCE: 16,
  NON_SHARED_DISK: 64,
  UNSAFE: 512,
  OFFLINE: 1024,
  ABORT_ON_ERROR: 4096,
  AUTO_CONVERGE: 8192,
  POSTCOPY: 32768,
} as const;

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainJobType */
export const VIR_DOMAIN_JOB = { NONE: 0, BOUNDED: 1, UNBOUNDED: 2, COMPLETED: 3, FAILED: 4, CANCELLED: 5 } as const;
/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainGetJobStatsFlags */
export const VIR_DOMAIN_JOB_STATS = { COMPLETED: 1, KEEP_COMPLETED: 2 } as const;

/** A migration job's figures (libvirt's typed parameters; absent ones are left out). */
export interface MigrationJobStats {
  /** libvirt's virDomainJobType: 0 none, 1/2 running, 3 completed, 4 failed, 5 cancelled. */
  type: number;
  elapsedMs?: number;
  dataTotal?: number;
  dataProcessed?: number;
  dataRemaining?: number;
  memoryRemaining?: number;
  /** Bytes per second being sent. */
  memoryBps?: number;
  /** Pages dirtied per second (× memoryPageSize for bytes). */
  memoryDirtyRate?: number;
  memoryPageSize?: number;
  /** Pre-copy passes over memory so far. */
  memoryIteration?: number;
  /** Expected (while running) or measured (completed) downtime, ms. */
  downtimeMs?: number;
  diskTotal?: number;
  diskRemaining?: number;
}

export interface MigrateRequest {
  /** Peer libvirtd URI, e.g. qemu+tls://10.0.0.12/system. */
  destinationUri: string;
  /** Live (running domain) or offline (shut-off domain: only its definition moves). */
  live: boolean;
  /** Copy the disks over the migration stream (no shared storage). */
  copyDisks: boolean;
  /** The storage is shared but libvirt cannot tell (a plain directory): VIR_MIGRATE_UNSAFE. */
  unsafe: boolean;
  autoConverge: boolean;
  /** Allow a switch to post-copy later (MigrateStartPostCopy). */
  postCopy: boolean;
  /** MiB/s; 0 or absent: unlimited. */
  bandwidthMiBs?: number | undefined;
  /** Keep the source's definition after success (undefined by the caller once it read the job's figures). */
  keepSource: boolean;
  /**
   * With `copyDisks`: source path → destination path of each disk to copy (the destination
   * volume exists already). Other writable disks are left alone (they are on shared storage).
   */
  diskPaths?: { from: string; to: string }[] | undefined;
}

export interface MigrationOps {
  /** Resolves when the migration finished; rejects with libvirt's reason (or on abort). */
  migrate(uuid: string, req: MigrateRequest): Promise<void>;
  /** The running job's figures, or those of the last completed one with `completed`. */
  jobStats(uuid: string, completed?: boolean): Promise<MigrationJobStats>;
  abort(uuid: string): Promise<void>;
  setMaxDowntime(uuid: string, ms: number): Promise<void>;
  setMaxSpeed(uuid: string, mibs: number): Promise<void>;
  startPostCopy(uuid: string): Promise<void>;
  /**
   * Undefines the source's shut-off definition left after a migration with `keepSource`. Keeps the
   * NVRAM file: on shared storage it is the destination's too.
   */
  undefineSource(uuid: string): Promise<void>;
}

const DOMAIN_IFACE = 'org.libvirt.Domain';
/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainXMLFlags: SECURE 1, MIGRATABLE 8. */
const VIR_DOMAIN_XML_MIGRATABLE = 1 | 8;

/** The domain XML with every chardev log opened for appending (`<log file=… append='on'/>`). */
export function appendSerialLog(xml: string): string {
  return xml.replace(/(<log\b[^>]*\bappend=)(['"])off\2/g, '$1$2on$2');
}
const xmlAttr = (v: string) =>
  v.replaceAll('&', '&amp;').replaceAll("'", '&apos;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');

/**
 * The destination XML with each copied disk's `<source file=…/>` pointing at its destination path,
 * and the target devs of those disks (libvirt's `migrate_disks`).
 */
export function moveDisks(xml: string, paths: { from: string; to: string }[]): { xml: string; devs: string[] } {
  const devs: string[] = [];
  const out = xml.replace(/<disk\b[\s\S]*?<\/disk>/g, (disk) => {
    for (const { from, to } of paths) {
      const re = new RegExp(`(<source\\b[^>]*\\bfile=)(['"])${escapeRe(xmlAttr(from))}\\2`);
      if (!re.test(disk)) continue;
      const dev = /<target\b[^>]*\bdev=['"]([^'"]+)['"]/.exec(disk)?.[1];
      if (dev) devs.push(dev);
      // The copy is a whole, independent image: no backing chain on the destination.
      return disk.replace(re, `$1$2${xmlAttr(to)}$2`).replace(/<backingStore\b[\s\S]*?<\/backingStore>/g, '');
    }
    return disk;
  });
  return { xml: out, devs };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** MigrateToURI3 answers only when the migration is over; AbortJob is how it is cut short. */
const MIGRATE_TIMEOUT_MS = 24 * 3600_000;

export function migrateFlags(req: MigrateRequest): number {
  let flags = VIR_MIGRATE.PEER2PEER | VIR_MIGRATE.PERSIST_DEST;
  if (!req.keepSource) flags |= VIR_MIGRATE.UNDEFINE_SOURCE;
  if (!req.live) return flags | VIR_MIGRATE.OFFLINE | (req.unsafe ? VIR_MIGRATE.UNSAFE : 0);
  flags |= VIR_MIGRATE.LIVE | VIR_MIGRATE.ABORT_ON_ERROR;
  if (req.copyDisks) flags |= VIR_MIGRATE.NON_SHARED_DISK;
  if (req.unsafe) flags |= VIR_MIGRATE.UNSAFE;
  if (req.autoConverge) flags |= VIR_MIGRATE.AUTO_CONVERGE;
  if (req.postCopy) flags |= VIR_MIGRATE.POSTCOPY;
  return flags;
}

const unwrap = (v: unknown): unknown => {
  while (v instanceof dbus.Variant) v = v.value;
  return v;
};

/** GetJobStats' (ia{sv}) → our shape. */
export function parseJobStats(reply: unknown[]): MigrationJobStats {
  const [type, params] = (reply[0] ?? [0, {}]) as [number, Record<string, unknown>];
  const n = (key: string): number | undefined => {
    const v = unwrap(params?.[key]);
    return v === undefined || v === null ? undefined : Number(v);
  };
  const stats: MigrationJobStats = { type: Number(type) };
  const fields: [keyof MigrationJobStats, string][] = [
    ['elapsedMs', 'time_elapsed'],
    ['dataTotal', 'data_total'],
    ['dataProcessed', 'data_processed'],
    ['dataRemaining', 'data_remaining'],
    ['memoryRemaining', 'memory_remaining'],
    ['memoryBps', 'memory_bps'],
    ['memoryDirtyRate', 'memory_dirty_rate'],
    ['memoryPageSize', 'memory_page_size'],
    ['memoryIteration', 'memory_iteration'],
    ['downtimeMs', 'downtime'],
    ['diskTotal', 'disk_total'],
    ['diskRemaining', 'disk_remaining'],
  ];
  for (const [ours, theirs] of fields) {
    const v = n(theirs);
    if (v !== undefined && Number.isFinite(v)) (stats as unknown as Record<string, number>)[ours] = v;
  }
  return stats;
}

export class LibvirtMigrationOps implements MigrationOps {
  constructor(
    private readonly call: LibvirtCallFn,
    private readonly connectPath: string,
  ) {}

  private domainCall(
    uuid: string,
    method: string,
    signature: string,
    args: unknown[],
    what: string,
    timeoutMs?: number,
  ) {
    return this.call(domainPath(this.connectPath, uuid), DOMAIN_IFACE, method, signature, args, what, timeoutMs);
  }

  async migrate(uuid: string, req: MigrateRequest): Promise<void> {
    const params: Record<string, dbus.Variant> = {};
    // VIR_MIGRATE_PARAM_BANDWIDTH, MiB/s (ulong).
    if (req.bandwidthMiBs) params.bandwidth = new dbus.Variant('t', BigInt(Math.round(req.bandwidthMiBs)));
    if (req.live) {
      // VIR_MIGRATE_PARAM_DEST_XML: the same domain, but the destination appends to the serial
      // log (shared storage) instead of truncating it when its QEMU starts, at the very beginning
      // of the migration, while the source still writes to it.
      const [xml] = await this.domainCall(
        uuid,
        'GetXMLDesc',
        'u',
        [VIR_DOMAIN_XML_MIGRATABLE],
        `read the XML of ${uuid}`,
      );
      let dest = appendSerialLog(String(xml));
      if (req.copyDisks && req.diskPaths?.length) {
        const moved = moveDisks(dest, req.diskPaths);
        if (moved.devs.length !== req.diskPaths.length) {
          throw new VireoError('NOT_FOUND', `Not every disk to copy is a disk of domain ${uuid}.`, { object: 'vm' });
        }
        dest = moved.xml;
        // libvirt-dbus sends one value per typed parameter: one disk can be named, several cannot
        // (then every writable disk is copied, which the manager allows only when all are local).
        if (moved.devs.length === 1) params.migrate_disks = new dbus.Variant('s', moved.devs[0]);
      }
      if (dest !== xml) params.destination_xml = new dbus.Variant('s', dest);
    }
    await this.domainCall(
      uuid,
      'MigrateToURI3',
      'sa{sv}u',
      [req.destinationUri, params, migrateFlags(req)],
      `migrate domain ${uuid} to ${req.destinationUri}`,
      MIGRATE_TIMEOUT_MS,
    );
  }

  async jobStats(uuid: string, completed = false): Promise<MigrationJobStats> {
    const flags = completed ? VIR_DOMAIN_JOB_STATS.COMPLETED | VIR_DOMAIN_JOB_STATS.KEEP_COMPLETED : 0;
    const reply = await this.domainCall(uuid, 'GetJobStats', 'u', [flags], `read the job of domain ${uuid}`);
    return parseJobStats(reply);
  }

  async abort(uuid: string): Promise<void> {
    await this.domainCall(uuid, 'AbortJob', '', [], `abort the job of domain ${uuid}`);
  }

  async setMaxDowntime(uuid: string, ms: number): Promise<void> {
    await this.domainCall(
      uuid,
      'MigrateSetMaxDowntime',
      'tu',
      [BigInt(Math.round(ms)), 0],
      `set the migration downtime of ${uuid}`,
    );
  }

  async setMaxSpeed(uuid: string, mibs: number): Promise<void> {
    await this.domainCall(
      uuid,
      'MigrateSetMaxSpeed',
      'tu',
      [BigInt(Math.round(mibs)), 0],
      `set the migration speed of ${uuid}`,
    );
  }

  async startPostCopy(uuid: string): Promise<void> {
    await this.domainCall(uuid, 'MigrateStartPostCopy', 'u', [0], `switch the migration of ${uuid} to post-copy`);
  }

  async undefineSource(uuid: string): Promise<void> {
    // virDomainUndefineFlagsValues: MANAGED_SAVE 1, SNAPSHOTS_METADATA 2, CHECKPOINTS_METADATA 16, KEEP_NVRAM 8.
    const flags = 1 | 2 | 8 | 16;
    await this.domainCall(uuid, 'Undefine', 'u', [flags], `undefine domain ${uuid} on the migration source`);
  }
}

/** The fake hypervisor has one host: nowhere to migrate to. */
export class FakeMigrationOps implements MigrationOps {
  private refuse(): never {
    throw new VireoError('INVALID_STATE', 'Migration is not supported by the fake hypervisor.', { object: 'vm' });
  }
  async migrate(): Promise<void> {
    this.refuse();
  }
  async jobStats(): Promise<MigrationJobStats> {
    return { type: VIR_DOMAIN_JOB.NONE };
  }
  async abort(): Promise<void> {
    this.refuse();
  }
  async setMaxDowntime(): Promise<void> {
    this.refuse();
  }
  async setMaxSpeed(): Promise<void> {
    this.refuse();
  }
  async startPostCopy(): Promise<void> {
    this.refuse();
  }
  async undefineSource(): Promise<void> {
    this.refuse();
  }
}
