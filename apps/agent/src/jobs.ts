/**
 * Operations in flight, keyed by operation (the manager's task id + method), and what a
 * restarted agent does with the ones its previous run left in the journal.
 */
import type { Hypervisor } from '@vireo/hypervisor';
import { removeFiles, vmFileUuid } from './files.ts';
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

interface Job {
  uuid: string | undefined;
  requestIds: Set<string>;
  done: Promise<unknown>;
}

export class Jobs {
  private readonly running = new Map<string, Job>();

  constructor(private readonly sendProgress: ProgressSender) {}

  /**
   * Runs `work` as the operation `key`, or, if that operation is already running (the manager
   * re-sent its request after a reconnect), attaches to it: both requests get the one result.
   */
  run<T>(key: string, requestId: string, uuid: string | undefined, work: (op: Operation) => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current) {
      current.requestIds.add(requestId);
      return current.done as Promise<T>;
    }
    const requestIds = new Set([requestId]);
    const op: Operation = {
      key,
      progress: (p, m) => {
        for (const id of requestIds) this.sendProgress(id, p, m);
      },
    };
    const done = work(op).finally(() => this.running.delete(key));
    this.running.set(key, { uuid, requestIds, done });
    return done;
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** VMs with an operation running in this process: their files are never swept. */
  busyUuids(): Set<string> {
    return new Set([...this.running.values()].flatMap((j) => (j.uuid ? [j.uuid] : [])));
  }
}

export interface SettleDeps {
  hv: Pick<Hypervisor, 'domain' | 'deleteVolume'>;
  journal: Journal;
  jobs: Jobs;
  vmStorageDir: string;
  logger: Logger;
}

/**
 * Finishes or rolls back every journalled operation that is not running in this process: at
 * start-up, what a killed run left; later, deletes whose files could not be removed yet.
 * - a create whose domain exists is created: kept;
 * - a create without a domain never reached `define` (or define failed): its files go;
 * - a delete whose domain is gone is finished: its files go;
 * - a delete whose domain still exists never undefined it: the VM stays as it is.
 * An entry that cannot be settled now (libvirt unreachable, a file that will not go) stays.
 */
export async function settleJournal(d: SettleDeps): Promise<void> {
  for (const entry of d.journal.list()) {
    if (d.jobs.isRunning(entry.key)) continue;
    try {
      await settleEntry(d, entry);
    } catch (err) {
      d.logger.warn('could not settle an interrupted operation yet; will retry', { key: entry.key, err });
    }
  }
}

async function settleEntry(d: SettleDeps, e: JournalEntry): Promise<void> {
  const domain = await d.hv.domain(e.uuid);
  // A re-sent request may have taken the operation over while libvirt answered.
  if (d.jobs.isRunning(e.key)) return;
  if (domain) {
    d.logger.info(
      e.kind === 'vm.create'
        ? 'an interrupted create had defined its domain: kept'
        : 'an interrupted delete had not undefined its domain: the VM stays',
      { key: e.key, uuid: e.uuid },
    );
    await d.journal.remove(e.key);
    return;
  }
  // Only files named after this VM, inside the VM storage dir.
  const own = e.files.filter((p) => vmFileUuid(p) === e.uuid || e.kind === 'vm.delete');
  const { removed, notRemoved } = await removeFiles(d.hv, d.vmStorageDir, own);
  if (notRemoved.length > 0) {
    d.logger.warn('files of an interrupted operation could not be removed yet; will retry', {
      key: e.key,
      uuid: e.uuid,
      notRemoved,
    });
    return;
  }
  d.logger.info(e.kind === 'vm.create' ? 'rolled back an interrupted create' : 'finished an interrupted delete', {
    key: e.key,
    uuid: e.uuid,
    removed,
  });
  await d.journal.remove(e.key);
}
