/**
 * The agent's operation journal: the host-changing operations it is running, keyed by operation
 * (the manager's task id), written to its state dir *before* each step that changes the host. A
 * SIGKILL, a crash or a power cut can stop the agent between any two steps; the journal is what
 * a restarted agent reads to finish or roll back (see jobs.ts `settleJournal`).
 *
 * Every write is atomic and durable: a temporary file is written and fsynced, renamed over the
 * journal, and the directory is fsynced, so a reader sees the old journal or the new, never half.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { storageCodeOfErrno } from '@vireo/hypervisor';
import { VireoError, uuidSchema, volumeRefSchema } from '@vireo/protocol';
import { z } from 'zod';

const entrySchema = z.discriminatedUnion('kind', [
  z.object({
    key: z.string().min(1).max(200),
    kind: z.literal('vm.create'),
    uuid: uuidSchema,
    /**
     * The step about to run: `overlay` (creating the template disk), `volumes` (creating the
     * pool volumes of its disks), `define` (defining the domain).
     */
    step: z.enum(['overlay', 'volumes', 'define']),
    /** The files this create makes, all inside the VM storage dir: removed on roll-back. */
    files: z.array(z.string()),
    /** Pool volumes this create made (or is making) for its VM alone: deleted on roll-back. */
    volumes: z.array(volumeRefSchema).optional(),
    at: z.number().int(),
  }),
  z.object({
    key: z.string().min(1).max(200),
    kind: z.literal('vm.delete'),
    uuid: uuidSchema,
    /** The step about to run: `undefine`, then `files` (removing the VM's own files). */
    step: z.enum(['undefine', 'files']),
    /** The VM's own files inside the VM storage dir, to remove once the domain is gone. */
    files: z.array(z.string()),
    /** The VM's own pool volumes, to delete once the domain is gone. */
    volumes: z.array(volumeRefSchema).optional(),
    at: z.number().int(),
  }),
  z.object({
    key: z.string().min(1).max(200),
    kind: z.literal('volume.make'),
    /**
     * A volume being made (created, cloned or copied) by a volume request, under a name checked
     * free first: if the agent dies before replying, the manager has failed the request, so a
     * restarted agent deletes whatever libvirt made.
     */
    volume: volumeRefSchema,
    at: z.number().int(),
  }),
]);
export type JournalEntry = z.infer<typeof entrySchema>;

const fileSchema = z.object({ version: z.literal(1), entries: z.array(entrySchema) });

export const JOURNAL_FILE = 'operations.json';

export class Journal {
  private readonly entries = new Map<string, JournalEntry>();
  /** Writes are chained: two operations recording at once must not race on the temporary file. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    initial: JournalEntry[],
  ) {
    for (const e of initial) this.entries.set(e.key, e);
  }

  /**
   * Loads the journal from the state dir (none yet: empty). A journal that cannot be parsed is
   * an error: starting empty would forget what a crashed run left half done.
   */
  static async open(stateDir: string): Promise<Journal> {
    const path = join(stateDir, JOURNAL_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Journal(stateDir, []);
      throw err;
    }
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`The operation journal ${path} is invalid: ${parsed.error.message}`);
    return new Journal(stateDir, parsed.data.entries);
  }

  list(): JournalEntry[] {
    return [...this.entries.values()];
  }

  /** Records (or moves to its next step) an operation; resolves once it is on disk. */
  record(entry: JournalEntry): Promise<void> {
    this.entries.set(entry.key, entry);
    return this.persist();
  }

  /** The operation ended (done, or rolled back): forget it. */
  remove(key: string): Promise<void> {
    if (!this.entries.delete(key)) return this.writing;
    return this.persist();
  }

  private persist(): Promise<void> {
    const body = JSON.stringify({ version: 1, entries: this.list() });
    const next = this.writing.then(() =>
      writeAtomically(this.dir, JOURNAL_FILE, body).catch((err: NodeJS.ErrnoException) => {
        // Nothing is changed on the host before its step is journalled: the operation stops here.
        throw new VireoError(
          storageCodeOfErrno(err.code),
          `Could not write the operation journal in ${this.dir}: ${err.message}`,
        );
      }),
    );
    // A failed write must not poison every later one; its caller still sees the failure.
    this.writing = next.catch(() => {});
    return next;
  }
}

async function writeAtomically(dir: string, name: string, body: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  const file = await open(tmp, 'w', 0o600);
  try {
    await file.writeFile(body);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  // The rename itself is durable only once the directory is synced.
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
