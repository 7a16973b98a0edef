/**
 * The safety net under event forwarding: what the manager was last told about each domain, and a
 * periodic check that libvirt still agrees. Events can be missed (libvirtd restarted behind
 * libvirt-dbus before we noticed, a signal lost) and some changes emit none at all: libvirt 9.0
 * sends no DomainEvent for `virsh setmem/setmaxmem/setvcpus --config` (checked in the lab; only
 * `domrename` sends undefined+defined). Any difference → the full state is resent.
 *
 * Cost per check, whatever the number of domains: ListDomains and two GetAllDomainStats calls
 * (state of running domains; state, memory and vCPUs of shut-off ones, no QEMU monitor involved).
 */
import type { DomainDigest, Hypervisor } from '@vireo/hypervisor';
import type { DomainInfo, ManagerMessage } from '@vireo/protocol';
import type { Logger } from './logger.ts';

/** What the manager was last told: the full state, then each domain message on top. */
export class ReportedDomains {
  private readonly byUuid = new Map<string, DomainInfo>();
  /** Domain events being read and forwarded right now: libvirt is ahead of the report meanwhile. */
  pending = 0;
  /** Moves on every change, so a check that overlapped one can tell. */
  version = 0;
  /**
   * uuids and names of domains a manager request is working on: libvirt passes through states
   * nobody reports meanwhile (a start shows `paused`/"starting up" for seconds under TCG).
   */
  private readonly busyKeys = new Map<string, number>();

  get busy(): ReadonlySet<string> {
    return new Set(this.busyKeys.keys());
  }

  /** Runs a manager request with its domain marked busy. */
  async during<T>(msg: ManagerMessage, run: () => Promise<T>): Promise<T> {
    const keys = requestDomainKeys(msg);
    for (const k of keys) this.busyKeys.set(k, (this.busyKeys.get(k) ?? 0) + 1);
    try {
      return await run();
    } finally {
      for (const k of keys) {
        const n = (this.busyKeys.get(k) ?? 1) - 1;
        if (n > 0) this.busyKeys.set(k, n);
        else this.busyKeys.delete(k);
      }
      this.version++;
    }
  }

  replaceAll(domains: readonly DomainInfo[]): void {
    this.byUuid.clear();
    for (const d of domains) this.byUuid.set(d.uuid, d);
    this.version++;
  }

  set(uuid: string, domain: DomainInfo | null): void {
    if (domain) this.byUuid.set(uuid, domain);
    else this.byUuid.delete(uuid);
    this.version++;
  }

  all(): DomainInfo[] {
    return [...this.byUuid.values()];
  }
}

/** The uuid and name of the domain a request works on (params.uuid, params.spec), if any. */
function requestDomainKeys(msg: ManagerMessage): string[] {
  const p = (msg as { params?: { uuid?: unknown; spec?: { uuid?: unknown; name?: unknown } } }).params;
  return [p?.uuid, p?.spec?.uuid, p?.spec?.name].filter((k): k is string => typeof k === 'string');
}

/**
 * Why libvirt's view differs from what was reported, or null when they agree. Domains in `busy`
 * (uuids or names) are left out: an operation on them is under way.
 */
export function difference(
  reported: readonly DomainInfo[],
  seen: { uuids: readonly string[]; domains: readonly DomainDigest[] },
  busy: ReadonlySet<string> = new Set(),
): string | null {
  const reportedUuids = new Set(reported.map((d) => d.uuid));
  for (const uuid of seen.uuids) {
    if (!reportedUuids.has(uuid) && !busy.has(uuid)) return `domain ${uuid} was never reported`;
  }
  const seenUuids = new Set(seen.uuids);
  for (const d of reported) if (!seenUuids.has(d.uuid) && !busy.has(d.uuid)) return `domain ${d.name} is gone`;
  const byName = new Map(reported.map((d) => [d.name, d]));
  for (const d of seen.domains) {
    const r = byName.get(d.name);
    if (busy.has(d.name) || (r && busy.has(r.uuid))) continue;
    if (!r) return `domain ${d.name} was reported under another name`;
    if (r.state !== d.state) return `domain ${d.name} is ${d.state}, reported ${r.state}`;
    if (d.vcpus !== undefined && d.vcpus !== r.vcpus)
      return `domain ${d.name} has ${d.vcpus} vCPUs, reported ${r.vcpus}`;
    if (d.memoryMiB !== undefined && d.memoryMiB !== r.memoryMiB)
      return `domain ${d.name} has ${d.memoryMiB} MiB, reported ${r.memoryMiB}`;
    if (d.maxMemoryMiB !== undefined && r.maxMemoryMiB !== undefined && d.maxMemoryMiB !== r.maxMemoryMiB)
      return `domain ${d.name} has ${d.maxMemoryMiB} MiB at most, reported ${r.maxMemoryMiB}`;
  }
  return null;
}

export interface LibvirtWatchOptions {
  hv: Pick<Hypervisor, 'domainDigests'>;
  reported: ReportedDomains;
  intervalMs: number;
  /** False while there is no one to report to or libvirt is unreachable: skip that round. */
  ready: () => boolean;
  /** Resends the full state (which also refreshes `reported`). */
  resync: (why: string) => Promise<unknown>;
  logger: Logger;
  /** A difference is checked again after this long before resyncing (a signal may be on its way). */
  confirmMs?: number;
}

/** Starts the periodic check; returns the function that stops it. */
export function watchLibvirt(o: LibvirtWatchOptions): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

  /** The difference, or null if none or if the report moved meanwhile (then it is not comparable). */
  const check = async (): Promise<string | null> => {
    if (o.reported.pending > 0) return null;
    const version = o.reported.version;
    const busy = o.reported.busy;
    const seen = await o.hv.domainDigests();
    if (o.reported.pending > 0 || o.reported.version !== version) return null;
    const busyNow = o.reported.busy;
    return difference(o.reported.all(), seen, new Set([...busy, ...busyNow]));
  };

  const round = async (): Promise<void> => {
    if (!o.ready()) return;
    if ((await check()) === null) return;
    await wait(o.confirmMs ?? 1000);
    const why = o.ready() ? await check() : null;
    if (why === null) return;
    o.logger.warn('libvirt differs from what the manager was told; resending the full state', { why });
    await o.resync(why);
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      round()
        .catch((err) => o.logger.warn('libvirt check failed', { err }))
        .finally(schedule);
    }, o.intervalMs);
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
