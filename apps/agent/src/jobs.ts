/**
 * Operations in flight, keyed by operation (the manager's task id + method), and what a
 * restarted agent does with the ones its previous run left in the journal.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { type AgentMethod, type ReplyMessage, VireoError } from '@vireo/protocol';
import { removeFiles, vmFileUuid } from './files.ts';
import { deleteOwnVolumes } from './vm-volumes.ts';
import type { Journal, JournalEntry } from './journal.ts';
import type { Logger } from './logger.ts';

export type ProgressSender = (requestId: string, progress: number, message?: string) => void;

/** What a handler gets besides its params. */
export interface Operation {
  /** The journal key: one per operation, shared by a re-sent request. */
  key: string;
  /** Reports progress to every request attached to this operation. */
  progress: (progress: number, message?: string) => void;
}

/**
 * How an operation may share its VM with other operations running on it in this process.
 * - `exclusive` (create, delete): alone on the VM. A delete running beside a create whose reply
 *   the manager lost would unlink the fresh overlay before the create defines its domain.
 * - `shared` (start, shutdown, forceOff): beside each other, never beside an exclusive one.
 *   Force off must be able to cut short a shutdown that waits for a stubborn guest; libvirt
 *   serialises the state changes themselves.
 * - `none` (console.open): changes nothing on the host; never conflicts.
 */
export type VmLock = 'exclusive' | 'shared' | 'none';

export const VM_LOCKS: Record<AgentMethod, VmLock> = {
  'vm.create': 'exclusive',
  'vm.delete': 'exclusive',
  'vm.start': 'shared',
  'vm.shutdown': 'shared',
  'vm.forceOff': 'shared',
  // Like start and shutdown: force off must still be able to cut any of them short.
  'vm.reboot': 'shared',
  'vm.reset': 'shared',
  'vm.pause': 'shared',
  'vm.resume': 'shared',
  'vm.save': 'shared',
  'vm.startPaused': 'shared',
  'console.open': 'none',
  'console.openSerial': 'none',
  'storage.removeOrphans': 'none',
  // Pools and volumes are not VMs; the storage handlers guard what they touch themselves.
  'pool.list': 'none',
  'pool.ensure': 'none',
  'pool.remove': 'none',
  'volume.create': 'none',
  'volume.clone': 'none',
  'volume.resize': 'none',
  'volume.delete': 'none',
  'disk.virtualSize': 'none',
  'volume.fromSnapshot': 'none',
  // Images touch no VM; the image store orders the chunks of one upload itself.
  'image.uploadChunk': 'none',
  'image.uploadStatus': 'none',
  'image.uploadCommit': 'none',
  'image.uploadAbort': 'none',
  'image.import': 'none',
  'network.ensure': 'none',
  'network.remove': 'none',
  'network.list': 'none',
  'network.leases': 'none',
  'network.setStaticLeases': 'none',
  'filter.ensure': 'none',
  'filter.remove': 'none',
  // A snapshot changes the VM's disks (and revert its state): never beside a create, delete or
  // another snapshot operation; list only reads.
  'snapshot.list': 'none',
  'snapshot.create': 'exclusive',
  'snapshot.revert': 'exclusive',
  'snapshot.delete': 'exclusive',
  'snapshot.deleteAll': 'exclusive',
  'snapshot.describe': 'exclusive',
  'filter.list': 'none',
  // Hot-plug changes the VM's disks: never beside a create, delete, snapshot or another hot-plug.
  'vm.attachDisk': 'exclusive',
  'vm.detachDisk': 'exclusive',
  'vm.editConfig': 'exclusive',
  'vm.pendingConfig': 'none',
  // NIC and CD-ROM changes touch the definition like a disk hot-plug.
  'vm.attachNic': 'exclusive',
  'vm.detachNic': 'exclusive',
  'vm.addCdrom': 'exclusive',
  'vm.setCdromMedia': 'exclusive',
  'vm.setBoot': 'exclusive',
  // A migration moves the whole VM; its abort must reach it while it runs.
  'vm.migrate': 'exclusive',
  'vm.migrateAbort': 'none',
  'vm.cpu': 'none',
  'ha.configure': 'none',
  // A restart defines and starts the domain: nothing else may work on it meanwhile.
  'ha.restart': 'exclusive',
  'ha.forget': 'exclusive',
};

/** The VM an operation works on and how it holds it. */
export interface VmClaim {
  uuid: string;
  lock: VmLock;
}

interface Job {
  key: string;
  claim: VmClaim | undefined;
  requestIds: Set<string>;
  done: Promise<unknown>;
}

export class Jobs {
  private readonly running = new Map<string, Job>();

  constructor(private readonly sendProgress: ProgressSender) {}

  /**
   * Runs `work` as the operation `key`, or, if that operation is already running (the manager
   * re-sent its request after a reconnect), attaches to it: both requests get the one result.
   * A new operation whose VM is held by a conflicting one is refused with BUSY.
   */
  run<T>(key: string, requestId: string, claim: VmClaim | undefined, work: (op: Operation) => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current) {
      current.requestIds.add(requestId);
      return current.done as Promise<T>;
    }
    const blocker = claim && this.conflicting(claim);
    if (blocker) {
      return Promise.reject(
        new VireoError(
          'BUSY',
          `VM ${claim.uuid} is busy with another operation on this host (${describe(blocker.key)}); retry when it has finished.`,
          { object: 'vm' },
        ),
      );
    }
    const requestIds = new Set([requestId]);
    const op: Operation = {
      key,
      progress: (p, m) => {
        for (const id of requestIds) this.sendProgress(id, p, m);
      },
    };
    const done = work(op).finally(() => this.running.delete(key));
    this.running.set(key, { key, claim, requestIds, done });
    return done;
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** VMs with an operation running in this process: their files are never swept. */
  busyUuids(): Set<string> {
    return new Set([...this.running.values()].flatMap((j) => (j.claim ? [j.claim.uuid] : [])));
  }

  private conflicting(claim: VmClaim): Job | undefined {
    if (claim.lock === 'none') return undefined;
    for (const job of this.running.values()) {
      const other = job.claim;
      if (!other || other.uuid !== claim.uuid || other.lock === 'none') continue;
      if (claim.lock === 'exclusive' || other.lock === 'exclusive') return job;
    }
    return undefined;
  }
}

/** What the operation `key` is, for a BUSY message: `vm.create:task-1` → `vm.create`. */
function describe(key: string): string {
  const kind = key.slice(0, key.indexOf(':'));
  if (kind === 'settle') return 'finishing an interrupted operation';
  return kind === 'request' ? 'a request' : kind;
}

export interface SettleDeps {
  hv: Pick<Hypervisor, 'domain' | 'deleteVolume' | 'storage'>;
  journal: Journal;
  jobs: Jobs;
  vmStorageDir: string;
  logger: Logger;
}

/**
 * Finishes or rolls back every journalled operation that is not running in this process: at
 * start-up, what a killed run left; later, operations whose outcome was unknown and deletes
 * whose files could not be removed yet.
 * - a create whose domain exists is created: kept;
 * - a create without a domain never reached `define` (or define failed): its files go;
 * - a delete whose domain is gone is finished: its files go;
 * - a delete whose domain still exists never undefined it: the VM stays as it is.
 * Only files named after the entry's own VM are removed; any other is kept and logged.
 * An entry that cannot be settled now (libvirt unreachable, a file that will not go) stays.
 * Each entry is settled as an exclusive operation on its VM (jobs.ts `run`): one whose VM has an
 * operation running (a re-sent request, a new create of the same uuid) waits for a later round.
 * Returns the keys whose outcome is now known (the domain could be read), settled or not.
 */
export async function settleJournal(d: SettleDeps): Promise<Set<string>> {
  const decided = new Set<string>();
  for (const entry of d.journal.list()) {
    if (d.jobs.isRunning(entry.key)) continue;
    try {
      const claim = entry.kind === 'volume.make' ? undefined : ({ uuid: entry.uuid, lock: 'exclusive' } as const);
      if (await d.jobs.run(`settle:${entry.key}`, 'settle', claim, () => settleEntry(d, entry))) decided.add(entry.key);
    } catch (err) {
      if (VireoError.is(err, 'BUSY')) continue;
      d.logger.warn('could not settle an interrupted operation yet; will retry', { key: entry.key, err });
    }
  }
  return decided;
}

/** Settles one entry; true once its outcome is known (the domain could be read). */
async function settleEntry(d: SettleDeps, e: JournalEntry): Promise<boolean> {
  if (e.kind === 'volume.make') return settleVolume(d, e);
  const domain = await d.hv.domain(e.uuid);
  if (domain) {
    d.logger.info(
      e.kind === 'vm.create'
        ? 'an interrupted create had defined its domain: kept'
        : 'an interrupted delete had not undefined its domain: the VM stays',
      { key: e.key, uuid: e.uuid },
    );
    await d.journal.remove(e.key);
    return true;
  }
  // Only files named after this VM: another VM's disk attached to this domain is not its to remove.
  const { own, kept } = ownFiles(e.uuid, e.files);
  if (kept.length > 0) d.logger.info('kept files that belong to another VM', { key: e.key, uuid: e.uuid, kept });
  const files = await removeFiles(d.hv, d.vmStorageDir, own);
  const volumes = await deleteOwnVolumes(d.hv.storage, e.volumes ?? []);
  const removed = [...files.removed, ...volumes.removed];
  const notRemoved = [...files.notRemoved, ...volumes.notRemoved];
  if (notRemoved.length > 0) {
    d.logger.warn('files of an interrupted operation could not be removed yet; will retry', {
      key: e.key,
      uuid: e.uuid,
      notRemoved,
    });
    return true;
  }
  d.logger.info(e.kind === 'vm.create' ? 'rolled back an interrupted create' : 'finished an interrupted delete', {
    key: e.key,
    uuid: e.uuid,
    removed,
  });
  await d.journal.remove(e.key);
  return true;
}

/** A volume request the agent died in: its reply was lost (the manager failed it), so the volume goes. */
async function settleVolume(d: SettleDeps, e: Extract<JournalEntry, { kind: 'volume.make' }>): Promise<boolean> {
  const { removed, notRemoved } = await deleteOwnVolumes(d.hv.storage, [e.volume]);
  if (notRemoved.length > 0) {
    // e.g. libvirtd is still writing the copy the killed agent asked for: retried later.
    d.logger.warn('the volume of an interrupted volume request could not be deleted yet; will retry', {
      key: e.key,
      notRemoved,
    });
    return true;
  }
  d.logger.info('rolled back an interrupted volume request', { key: e.key, removed });
  await d.journal.remove(e.key);
  return true;
}

/** Splits paths into the VM's own files (named after its uuid) and any other file. */
export function ownFiles(uuid: string, paths: string[]): { own: string[]; kept: string[] } {
  const own: string[] = [];
  const kept: string[] = [];
  for (const p of paths) (vmFileUuid(p) === uuid ? own : kept).push(p);
  return { own, kept };
}

/**
 * Runs settleJournal without ever overlapping: a call while one runs joins it. Used at start-up,
 * before every full state, periodically (entries a file kept from settling), and to learn when an
 * operation whose outcome was unknown has settled.
 */
export class Settler {
  private current: Promise<Set<string>> | undefined;
  /** Pending whenDecided waits: their timer, and how to end them when stopped. */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;

  constructor(private readonly d: SettleDeps) {}

  settle(): Promise<Set<string>> {
    this.current ??= settleJournal(this.d).finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  /** Settles every `intervalMs`; returns the function that stops it. */
  every(intervalMs: number): () => void {
    const t = setInterval(() => void this.settle(), intervalMs);
    t.unref();
    return () => clearInterval(t);
  }

  /**
   * Resolves true once the outcome of operation `key` is known: a settle could read its domain,
   * or it left the journal. Settles again after `firstMs`, doubling up to `maxMs`, until then;
   * resolves false if stopped first.
   */
  whenDecided(key: string, firstMs: number, maxMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const attempt = (delay: number) => {
        if (this.stopped) return resolve(false);
        const t = setTimeout(async () => {
          this.waits.delete(t);
          const decided = await this.settle();
          if (decided.has(key) || !this.d.journal.list().some((e) => e.key === key)) resolve(true);
          else attempt(Math.min(maxMs, delay * 2));
        }, delay);
        this.waits.set(t, () => resolve(false));
      };
      attempt(firstMs);
    });
  }

  /**
   * After the reply to operation `key`: if it told the manager the outcome is unknown, calls
   * `resync` (a fresh full state) once settling has decided it, so the manager settles the VM
   * without waiting for a reconnect. Retries after `firstMs`, doubling up to `maxMs`.
   */
  afterReply(key: string, reply: ReplyMessage, resync: () => Promise<unknown>, firstMs: number, maxMs: number): void {
    if (reply.ok || reply.error.code !== 'OUTCOME_UNKNOWN') return;
    void this.whenDecided(key, firstMs, maxMs).then(async (decided) => {
      if (!decided) return;
      this.d.logger.info('the outcome of an operation is settled; resending the full state', { key });
      await resync().catch((err) => this.d.logger.error('could not resend the state after settling', { key, err }));
    });
  }

  stop(): void {
    this.stopped = true;
    for (const [t, end] of this.waits) {
      clearTimeout(t);
      end();
    }
    this.waits.clear();
  }
}
