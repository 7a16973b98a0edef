/**
 * The operation journal and what a restarted agent does with it. libvirt is replaced by a small
 * in-memory hypervisor (only the calls create/delete/settle make); the files are real files in a
 * temporary VM storage dir, and the journal is the real one on disk.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { promisify } from 'node:util';
import { type DomainSpec, FakeSnapshotOps, FakeStorage, type Hypervisor } from '@vireo/hypervisor';
import { type DomainInfo, type ManagerMessage, VireoError } from '@vireo/protocol';
import { overlayPath, serialLogPath } from '../src/files.ts';
import { createHandlers, dispatch } from '../src/handlers.ts';
import { Jobs, Settler, settleJournal } from '../src/jobs.ts';
import { JOURNAL_FILE, type JournalEntry, Journal } from '../src/journal.ts';
import { createLogger } from '../src/logger.ts';

const execFileP = promisify(execFile);
const logger = createLogger('error', 'plain');
const UUID = '0f6b3a52-8f64-4b8e-9a57-3a9d6f0c1e21';
const OTHER = '6b1d2f8e-5a4c-4e3b-9d2a-1c0b9a8f7e6d';

/** Just enough hypervisor: domains in a map, files on disk; hooks let a test look mid-operation. */
class FakeHv {
  domains = new Map<string, DomainInfo & { disks: string[] }>();
  storage = new FakeStorage();
  /** vm.delete deletes a VM's snapshots first: none here. */
  snapshots = new FakeSnapshotOps((uuid) => this.domains.get(uuid)?.state);
  undeletable = new Set<string>();
  onCreateOverlay: () => void = () => {};
  onDefine: () => void = () => {};
  onUndefine: () => void = () => {};
  /** Set: the call fails with it (after doing its work when `*Anyway` is set). */
  defineError: Error | undefined;
  undefineError: Error | undefined;
  domainError: Error | undefined;
  domainCalls = 0;
  async domain(uuid: string) {
    this.domainCalls++;
    if (this.domainError) throw this.domainError;
    const d = this.domains.get(uuid);
    return d ? { ...d, disks: undefined } : null;
  }
  async listDomains() {
    return [...this.domains.values()];
  }
  async hostInfo() {
    return { domainTypes: ['qemu'] };
  }
  async domainHardware(uuid: string) {
    const disks = this.domains.get(uuid)?.disks ?? [];
    return {
      firmware: 'bios' as const,
      drives: disks.map((path) => ({ path, device: 'disk', readOnly: false })),
      nics: [],
    };
  }
  async domainDiskPaths(uuid: string) {
    return this.domains.get(uuid)?.disks ?? [];
  }
  async createOverlay(_base: string, path: string) {
    this.onCreateOverlay();
    await writeFile(path, 'qcow2');
  }
  async defineDomain(spec: DomainSpec) {
    this.onDefine();
    if (this.defineError) throw this.defineError;
    const d = {
      uuid: spec.uuid,
      name: spec.name,
      state: 'shutoff' as const,
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      persistent: true,
      disks: spec.disks.flatMap((x) => (x.path ? [x.path] : [])),
    };
    this.domains.set(spec.uuid, d);
    return { ...d, disks: undefined };
  }
  async undefineDomain(uuid: string) {
    this.onUndefine();
    if (this.undefineError) throw this.undefineError;
    this.domains.delete(uuid);
  }
  async deleteVolume(path: string) {
    if (this.undeletable.has(path)) {
      throw new VireoError('STORAGE_PERMISSION_DENIED', `Could not remove ${path}: EPERM: operation not permitted`);
    }
    await rm(path, { force: true });
  }
}

let state = '';
let dir = '';
let hv: FakeHv;

beforeEach(async () => {
  const root = await mkdtemp(join(tmpdir(), 'vireo-journal-'));
  state = join(root, 'state');
  dir = join(root, 'vms');
  await mkdir(dir, { recursive: true });
  hv = new FakeHv();
});
afterEach(async () => rm(join(state, '..'), { recursive: true, force: true }));

async function setup() {
  const journal = await Journal.open(state);
  const sent: [string, number][] = [];
  const jobs = new Jobs((id, p) => sent.push([id, p]));
  const handlers = createHandlers({
    hv: hv as unknown as Hypervisor,
    vmStorageDir: dir,
    logger,
    journal,
    jobs,
    openConsole: async () => {},
  });
  const deps = { hv, journal, jobs, vmStorageDir: dir, logger };
  const settle = () => settleJournal(deps);
  return { journal, jobs, handlers, settle, sent, settler: new Settler(deps) };
}

const onDisk = async (): Promise<JournalEntry[]> =>
  JSON.parse(await readFile(join(state, JOURNAL_FILE), 'utf8')).entries as JournalEntry[];

const createRequest = (id: string, taskId?: string): ManagerMessage => ({
  t: 'request',
  id,
  method: 'vm.create',
  ...(taskId ? { taskId } : {}),
  params: {
    spec: {
      uuid: UUID,
      name: 'vm-one',
      vcpus: 1,
      memoryMiB: 128,
      template: { kernelPath: '/t/k', initrdPath: '/t/i', diskPath: '/t/base.qcow2', cmdline: '' },
    },
  },
});

test('the journal is written atomically (no temporary file left, mode 0600) and read back', async () => {
  const journal = await Journal.open(state);
  const entry: JournalEntry = { key: 'k1', kind: 'vm.delete', uuid: UUID, step: 'undefine', files: [], at: 1 };
  await journal.record(entry);
  assert.deepEqual(await onDisk(), [entry]);
  assert.deepEqual(await readdir(state), [JOURNAL_FILE]);
  assert.equal(statSync(join(state, JOURNAL_FILE)).mode & 0o777, 0o600);
  assert.deepEqual((await Journal.open(state)).list(), [entry]);
  await journal.remove('k1');
  assert.deepEqual((await Journal.open(state)).list(), []);
});

test('an unreadable journal stops the agent rather than forgetting what was half done', async () => {
  await mkdir(state, { recursive: true });
  await writeFile(join(state, JOURNAL_FILE), '{"version":1,"entries":[{"kind":"vm.create"}]}');
  await assert.rejects(Journal.open(state), /operation journal .* is invalid/);
});

test('create journals each step before it happens, and forgets it once done', async () => {
  const { handlers } = await setup();
  const seen: string[] = [];
  const stepOnDisk = () => JSON.parse(readFileSync(join(state, JOURNAL_FILE), 'utf8')).entries[0]?.step;
  hv.onCreateOverlay = () => seen.push(`overlay:${stepOnDisk()}`);
  hv.onDefine = () => seen.push(`define:${stepOnDisk()}`);
  const reply = await dispatch(handlers, new Jobs(() => {}), createRequest('r1', 'task-1'), logger);
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.deepEqual(seen, ['overlay:overlay', 'define:define']);
  assert.deepEqual(await onDisk(), []);
});

test('a create killed before define is rolled back at start-up: its files go', async () => {
  await writeFile(overlayPath(dir, UUID), 'qcow2');
  await writeFile(serialLogPath(dir, UUID), 'log');
  await writeFile(join(dir, 'unrelated.qcow2'), 'x');
  const j = await Journal.open(state);
  const files = [overlayPath(dir, UUID), serialLogPath(dir, UUID)];
  await j.record({ key: 'vm.create:t', kind: 'vm.create', uuid: UUID, step: 'define', files, at: 1 });
  const { settle, journal } = await setup();
  await settle();
  assert.ok(!existsSync(overlayPath(dir, UUID)));
  assert.ok(!existsSync(serialLogPath(dir, UUID)));
  assert.ok(existsSync(join(dir, 'unrelated.qcow2')));
  assert.deepEqual(journal.list(), []);
  assert.deepEqual(await onDisk(), []);
});

test('a create killed after define is kept: it is created', async () => {
  await writeFile(overlayPath(dir, UUID), 'qcow2');
  hv.domains.set(UUID, {
    uuid: UUID,
    name: 'vm-one',
    state: 'shutoff',
    vcpus: 1,
    memoryMiB: 128,
    persistent: true,
    disks: [overlayPath(dir, UUID)],
  });
  const j = await Journal.open(state);
  await j.record({
    key: 'vm.create:t',
    kind: 'vm.create',
    uuid: UUID,
    step: 'define',
    files: [overlayPath(dir, UUID)],
    at: 1,
  });
  const { settle, journal } = await setup();
  await settle();
  assert.ok(existsSync(overlayPath(dir, UUID)));
  assert.deepEqual(journal.list(), []);
});

test('a delete killed after undefine is finished; only files named after the VM are removed', async () => {
  const base = join(dir, '..', 'base.qcow2');
  await writeFile(base, 'template');
  await writeFile(overlayPath(dir, UUID), 'qcow2');
  await writeFile(overlayPath(dir, OTHER), 'another VM');
  const j = await Journal.open(state);
  // A journal may name another VM's disk that was attached to this one (older agents wrote it).
  const files = [overlayPath(dir, UUID), serialLogPath(dir, UUID), base, overlayPath(dir, OTHER)];
  await j.record({ key: 'vm.delete:t', kind: 'vm.delete', uuid: UUID, step: 'files', files, at: 1 });
  const { settle, journal } = await setup();
  await settle();
  assert.ok(!existsSync(overlayPath(dir, UUID)));
  assert.ok(existsSync(base), "a template's base image survives");
  assert.ok(existsSync(overlayPath(dir, OTHER)), "another VM's disk survives");
  assert.deepEqual(journal.list(), [], 'finished: the others are kept, not failures');
});

test('a delete killed before undefine leaves the VM as it is', async () => {
  await writeFile(overlayPath(dir, UUID), 'qcow2');
  hv.domains.set(UUID, {
    uuid: UUID,
    name: 'vm-one',
    state: 'shutoff',
    vcpus: 1,
    memoryMiB: 128,
    persistent: true,
    disks: [overlayPath(dir, UUID)],
  });
  const j = await Journal.open(state);
  const files = [overlayPath(dir, UUID)];
  await j.record({ key: 'vm.delete:t', kind: 'vm.delete', uuid: UUID, step: 'undefine', files, at: 1 });
  const { settle, journal } = await setup();
  await settle();
  assert.ok(existsSync(overlayPath(dir, UUID)));
  assert.deepEqual(journal.list(), []);
});

test('delete halfway: the domain is gone, the file that will not go is reported and retried later', async () => {
  const { handlers, journal, jobs, settle } = await setup();
  assert.equal((await dispatch(handlers, jobs, createRequest('c1', 't1'), logger)).ok, true);
  hv.undeletable.add(overlayPath(dir, UUID));
  const reply = await dispatch(
    handlers,
    jobs,
    { t: 'request', id: 'd1', method: 'vm.delete', taskId: 't2', params: { uuid: UUID } },
    logger,
  );
  assert.equal(reply.ok, true, JSON.stringify(reply));
  const result = (reply as { result: { deletedDisks: string[]; notRemoved: { path: string; code: string }[] } }).result;
  assert.equal(hv.domains.has(UUID), false);
  assert.deepEqual(
    result.notRemoved.map((f) => [f.path, f.code]),
    [[overlayPath(dir, UUID), 'STORAGE_PERMISSION_DENIED']],
  );
  assert.equal(journal.list().length, 1);
  hv.undeletable.clear();
  await settle();
  assert.ok(!existsSync(overlayPath(dir, UUID)));
  assert.deepEqual(journal.list(), []);
});

test('a re-sent request with the same task id attaches to the running operation', async () => {
  const { handlers, jobs, sent } = await setup();
  let defines = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  hv.onDefine = () => {
    defines++;
  };
  const slow = hv.createOverlay.bind(hv);
  hv.createOverlay = async (b, p) => {
    await gate;
    return slow(b, p);
  };
  const first = dispatch(handlers, jobs, createRequest('r1', 'task-9'), logger);
  await new Promise((r) => setTimeout(r, 20));
  const again = dispatch(handlers, jobs, createRequest('r2', 'task-9'), logger);
  release();
  const [a, b] = await Promise.all([first, again]);
  assert.equal(a.ok && b.ok, true, JSON.stringify([a, b]));
  assert.deepEqual([a.id, b.id], ['r1', 'r2']);
  assert.equal(defines, 1, 'one create, not two');
  assert.deepEqual(
    sent.filter(([, p]) => p === 30).map(([id]) => id),
    ['r1', 'r2'],
    'progress reaches both requests',
  );
});

test('orphan removal keeps files of a defined domain and of a running operation', async () => {
  const { handlers, jobs } = await setup();
  const other = '6b1d2f8e-5a4c-4e3b-9d2a-1c0b9a8f7e6d';
  const third = '9c8b7a6f-5e4d-4c3b-8a29-181716151413';
  await writeFile(overlayPath(dir, UUID), 'x');
  await writeFile(overlayPath(dir, other), 'x');
  await writeFile(overlayPath(dir, third), 'x');
  hv.domains.set(other, {
    uuid: other,
    name: 'x',
    state: 'shutoff',
    vcpus: 1,
    memoryMiB: 1,
    persistent: true,
    disks: [overlayPath(dir, other)],
  });
  let release: () => void = () => {};
  const running = jobs.run(
    'vm.create:t',
    'rx',
    { uuid: third, lock: 'exclusive' },
    () =>
      new Promise<void>((r) => {
        release = r;
      }),
  );
  const result = await handlers['storage.removeOrphans'](
    {
      files: [
        { uuid: UUID, path: overlayPath(dir, UUID) },
        { uuid: other, path: overlayPath(dir, other) },
        { uuid: third, path: overlayPath(dir, third) },
        { uuid: UUID, path: join(dir, '..', `${UUID}.qcow2`) },
      ],
    },
    { key: 'request:x', progress: () => {} },
  );
  release();
  await running;
  assert.deepEqual(result.removed, [overlayPath(dir, UUID)]);
  assert.equal(result.kept.length, 3);
  assert.ok(existsSync(overlayPath(dir, other)));
  assert.ok(existsSync(overlayPath(dir, third)));
});

test('a journal that cannot be written stops the create before it changes the host', async () => {
  const { handlers, jobs } = await setup();
  await mkdir(state, { recursive: true });
  await execFileP('chattr', ['+i', state]); // as root only the immutable attribute refuses writes
  try {
    const reply = await dispatch(handlers, jobs, createRequest('r1', 't1'), logger);
    assert.equal(reply.ok, false);
    assert.equal(!reply.ok && reply.error.code, 'STORAGE_PERMISSION_DENIED', JSON.stringify(reply));
    assert.equal(existsSync(overlayPath(dir, UUID)), false, 'no overlay without its journal entry');
  } finally {
    await execFileP('chattr', ['-i', state]);
  }
});

const deleteRequest = (id: string, taskId: string): ManagerMessage => ({
  t: 'request',
  id,
  method: 'vm.delete',
  taskId,
  params: { uuid: UUID },
});

/** Holds createOverlay until the returned release is called. */
function holdOverlay(): () => void {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const make = hv.createOverlay.bind(hv);
  hv.createOverlay = async (b, p) => {
    await writeFile(p, 'qcow2');
    await gate;
    return make(b, p);
  };
  return release;
}

const unreachable = () =>
  new VireoError('LIBVIRT_ERROR', 'libvirt is not reachable on this host: the D-Bus connection was lost (define).');

test('a delete while a create of the same VM runs is refused as busy; the create keeps its disk', async () => {
  const { handlers, jobs } = await setup();
  const release = holdOverlay();
  const create = dispatch(handlers, jobs, createRequest('c1', 't1'), logger);
  await waitUntil(() => existsSync(overlayPath(dir, UUID))); // the overlay is being made
  const del = await dispatch(handlers, jobs, deleteRequest('d1', 't2'), logger);
  assert.equal(del.ok, false);
  assert.equal(!del.ok && del.error.code, 'BUSY', JSON.stringify(del));
  assert.equal(!del.ok && del.error.object, 'vm');
  assert.match(!del.ok ? del.error.message : '', /busy with another operation .*vm\.create/);
  const start = await dispatch(
    handlers,
    jobs,
    { t: 'request', id: 's1', method: 'vm.start', taskId: 't3', params: { uuid: UUID } },
    logger,
  );
  assert.equal(!start.ok && start.error.code, 'BUSY', 'nothing else runs beside a create either');
  release();
  const created = await create;
  assert.equal(created.ok, true, JSON.stringify(created));
  assert.ok(existsSync(overlayPath(dir, UUID)), 'the defined domain has its disk');
  assert.deepEqual(hv.domains.get(UUID)?.disks, [overlayPath(dir, UUID)]);
  // Once the create is done the delete goes through.
  assert.equal((await dispatch(handlers, jobs, deleteRequest('d2', 't2'), logger)).ok, true);
  assert.ok(!existsSync(overlayPath(dir, UUID)));
});

test('start, shutdown and force off may run beside each other; never beside a delete', async () => {
  const jobs = new Jobs(() => {});
  const never = () => new Promise<never>(() => {});
  void jobs.run('vm.shutdown:a', 'r1', { uuid: UUID, lock: 'shared' }, never);
  void jobs.run('vm.forceOff:b', 'r2', { uuid: UUID, lock: 'shared' }, never);
  void jobs.run('console.open:c', 'r3', { uuid: OTHER, lock: 'none' }, never);
  await Promise.all([
    assert.rejects(jobs.run('vm.delete:d', 'r4', { uuid: UUID, lock: 'exclusive' }, never), (e) =>
      VireoError.is(e, 'BUSY', 'vm'),
    ),
    // Another VM, or an operation that changes nothing, is not held up.
    jobs
      .run('vm.delete:e', 'r5', { uuid: OTHER, lock: 'exclusive' }, async () => 'ok')
      .then((v) => assert.equal(v, 'ok')),
  ]);
});

test('settling leaves alone an old entry whose VM has a new operation running', async () => {
  const j = await Journal.open(state);
  const files = [overlayPath(dir, UUID), serialLogPath(dir, UUID)];
  await j.record({ key: 'vm.create:old', kind: 'vm.create', uuid: UUID, step: 'define', files, at: 1 });
  const { handlers, jobs, settle, journal } = await setup();
  const release = holdOverlay();
  const create = dispatch(handlers, jobs, createRequest('c1', 'new'), logger);
  await waitUntil(() => existsSync(overlayPath(dir, UUID)));
  await settle();
  assert.ok(existsSync(overlayPath(dir, UUID)), "the running create's overlay is not rolled back");
  release();
  assert.equal((await create).ok, true);
  await settle();
  assert.deepEqual(journal.list(), [], 'the old entry settles once the VM is free: its domain exists');
  assert.ok(existsSync(overlayPath(dir, UUID)));
});

test('create: define fails and libvirt cannot be read → OUTCOME_UNKNOWN, disk and entry kept until settled', async () => {
  const { handlers, jobs, journal, settler } = await setup();
  hv.defineError = unreachable();
  hv.onDefine = () => {
    hv.domainError = unreachable();
  };
  const reply = await dispatch(handlers, jobs, createRequest('c1', 't1'), logger);
  assert.equal(!reply.ok && reply.error.code, 'OUTCOME_UNKNOWN', JSON.stringify(reply));
  assert.equal(!reply.ok && reply.error.object, 'vm');
  assert.match(!reply.ok ? reply.error.message : '', /Could not tell whether VM vm-one was defined/);
  assert.ok(existsSync(overlayPath(dir, UUID)), 'the disk is kept: a domain may use it');
  assert.deepEqual(
    journal.list().map((e) => e.key),
    ['vm.create:t1'],
  );
  // While libvirt stays away the outcome stays unknown; once it answers, settling decides and
  // the full state is resent (once).
  let resyncs = 0;
  let entriesAtResync = -1;
  const resync = async () => {
    resyncs++;
    entriesAtResync = journal.list().length;
  };
  settler.afterReply('vm.create:t1', reply, resync, 5, 20);
  settler.afterReply('vm.create:t9', { t: 'reply', id: 'x', ok: true, result: {} }, resync, 5, 20);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(resyncs, 0, 'not while the outcome is unknown');
  hv.domainError = undefined;
  await waitUntil(() => resyncs > 0);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(resyncs, 1);
  assert.equal(entriesAtResync, 0, 'the state goes once the entry is settled');
  assert.deepEqual(journal.list(), []);
  assert.ok(!existsSync(overlayPath(dir, UUID)), 'no domain was defined: rolled back');
  settler.stop();
});

test('create: define times out and no domain is seen yet → OUTCOME_UNKNOWN; a refusal is rolled back', async () => {
  const { handlers, jobs, journal } = await setup();
  hv.defineError = new VireoError('TIMEOUT', 'libvirt did not answer in time (define).');
  const timedOut = await dispatch(handlers, jobs, createRequest('c1', 't1'), logger);
  assert.equal(!timedOut.ok && timedOut.error.code, 'OUTCOME_UNKNOWN', JSON.stringify(timedOut));
  assert.equal(journal.list().length, 1);
  await journal.remove('vm.create:t1');
  hv.defineError = new VireoError('LIBVIRT_ERROR', 'libvirt refused to define: bad XML', {
    libvirt: { message: 'bad XML' },
  });
  const refused = await dispatch(handlers, jobs, createRequest('c2', 't2'), logger);
  assert.equal(!refused.ok && refused.error.code, 'LIBVIRT_ERROR');
  assert.deepEqual(journal.list(), []);
  assert.ok(!existsSync(overlayPath(dir, UUID)));
});

test('delete: undefine with an unknown outcome → OUTCOME_UNKNOWN and the entry stays; a refusal does not', async () => {
  const { handlers, jobs, journal, settle } = await setup();
  assert.equal((await dispatch(handlers, jobs, createRequest('c1', 't1'), logger)).ok, true);
  // Timed out, the domain still there: libvirt may yet undefine it.
  hv.undefineError = new VireoError('TIMEOUT', 'libvirt did not answer in time (undefine).');
  const timedOut = await dispatch(handlers, jobs, deleteRequest('d1', 't2'), logger);
  assert.equal(!timedOut.ok && timedOut.error.code, 'OUTCOME_UNKNOWN', JSON.stringify(timedOut));
  assert.deepEqual(
    journal.list().map((e) => e.key),
    ['vm.delete:t2'],
  );
  // The connection dropped and the read-back fails too.
  hv.undefineError = unreachable();
  hv.onUndefine = () => {
    hv.domainError = unreachable();
  };
  const lost = await dispatch(handlers, jobs, deleteRequest('d2', 't3'), logger);
  assert.equal(!lost.ok && lost.error.code, 'OUTCOME_UNKNOWN', JSON.stringify(lost));
  assert.match(!lost.ok ? lost.error.message : '', /Could not tell whether VM .* was deleted/);
  assert.equal(journal.list().length, 2);
  // libvirt had in fact undefined it: settling finishes the delete.
  hv.onUndefine = () => {};
  hv.domainError = undefined;
  hv.domains.delete(UUID);
  await settle();
  assert.deepEqual(journal.list(), []);
  assert.ok(!existsSync(overlayPath(dir, UUID)));
  // A refusal (libvirt answered) changes nothing and leaves no entry.
  assert.equal((await dispatch(handlers, jobs, createRequest('c3', 't4'), logger)).ok, true);
  hv.undefineError = new VireoError('LIBVIRT_ERROR', 'libvirt refused to undefine: no', { libvirt: { message: 'no' } });
  const refused = await dispatch(handlers, jobs, deleteRequest('d3', 't5'), logger);
  assert.equal(!refused.ok && refused.error.code, 'LIBVIRT_ERROR');
  assert.deepEqual(journal.list(), []);
  assert.ok(existsSync(overlayPath(dir, UUID)));
});

test('a journal write that fails after the host changed does not fail the operation', async () => {
  const { handlers, jobs } = await setup();
  await mkdir(state, { recursive: true });
  const lock = () => execFileSync('chattr', ['+i', state]);
  try {
    hv.onDefine = lock;
    const created = await dispatch(handlers, jobs, createRequest('c1', 't1'), logger);
    assert.equal(created.ok, true, JSON.stringify(created));
    assert.ok(hv.domains.has(UUID));
    execFileSync('chattr', ['-i', state]);
    hv.onUndefine = lock;
    const deleted = await dispatch(handlers, jobs, deleteRequest('d1', 't2'), logger);
    assert.equal(deleted.ok, true, JSON.stringify(deleted));
    assert.equal(hv.domains.has(UUID), false);
    assert.ok(!existsSync(overlayPath(dir, UUID)), 'its files went all the same');
  } finally {
    execFileSync('chattr', ['-i', state]);
  }
});

test("a delete removes only the VM's own disks; another VM's disk attached to it is kept and reported", async () => {
  const { handlers, jobs, journal } = await setup();
  assert.equal((await dispatch(handlers, jobs, createRequest('c1', 't1'), logger)).ok, true);
  const base = join(dir, '..', 'base.qcow2');
  await writeFile(overlayPath(dir, OTHER), 'another VM');
  await writeFile(base, 'template');
  hv.domains.get(UUID)?.disks.push(overlayPath(dir, OTHER), base);
  const reply = await dispatch(handlers, jobs, deleteRequest('d1', 't2'), logger);
  assert.equal(reply.ok, true, JSON.stringify(reply));
  const result = (reply as { result: { deletedDisks: string[]; keptDisks?: string[]; notRemoved?: unknown } }).result;
  assert.deepEqual(result.deletedDisks, [overlayPath(dir, UUID)]);
  assert.deepEqual(result.keptDisks, [overlayPath(dir, OTHER), base]);
  assert.equal(result.notRemoved, undefined, 'kept disks are not failures');
  assert.ok(existsSync(overlayPath(dir, OTHER)));
  assert.ok(existsSync(base));
  assert.deepEqual(journal.list(), []);
});

test('settling never overlaps, and runs periodically to retry what could not be settled', async () => {
  const { handlers, jobs, journal, settler } = await setup();
  assert.equal((await dispatch(handlers, jobs, createRequest('c1', 't1'), logger)).ok, true);
  hv.undeletable.add(overlayPath(dir, UUID));
  assert.equal((await dispatch(handlers, jobs, deleteRequest('d1', 't2'), logger)).ok, true);
  assert.equal(journal.list().length, 1);
  // Two settles asked for at once: one run (one domain read for the one entry).
  hv.domainCalls = 0;
  const [a, b] = await Promise.all([settler.settle(), settler.settle()]);
  assert.equal(a, b);
  assert.equal(hv.domainCalls, 1);
  assert.equal(journal.list().length, 1, 'the file still will not go');
  hv.undeletable.clear();
  const stop = settler.every(20);
  try {
    await waitUntil(() => journal.list().length === 0);
  } finally {
    stop();
  }
  assert.ok(!existsSync(overlayPath(dir, UUID)));
});

async function waitUntil(ok: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
