/**
 * The real agent against a real libvirt host, driven by a fake manager over the real protocol.
 * Run inside a lab host (the fake manager listens on that host's loopback):
 *   nsenter -t <host pid from /var/lib/vireo-lab/NAME/lab.json> -m -n -u sh -c 'cd /work/main && \
 *     VIREO_VM_STORAGE_DIR=/var/lib/vireo-lab/NAME/shared node --import tsx apps/agent/test/agent-lab.ts'
 * Env: VIREO_IMAGE_DIR, VIREO_VM_STORAGE_DIR (defaults: the lab's images and shared dir).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Msg, log, spawnAgent, startFakeManager, until as untilOr } from './lab-harness.ts';

const imageDir = process.env.VIREO_IMAGE_DIR ?? '/var/lib/vireo-lab/images';
const storageDir = join(process.env.VIREO_VM_STORAGE_DIR ?? '/var/lib/vireo-lab/vireo/shared', 'agent-lab');
const image = JSON.parse(readFileSync(join(imageDir, 'image.json'), 'utf8')) as { cmdline?: string };

const m = await startFakeManager();
const { inbox } = m;
const agent = await spawnAgent(m.url, storageDir);
const agentLog = () => agent.lines.join('\n');
// Every wait, on timeout, shows what the agent logged.
const until = <T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>) =>
  untilOr(what, ms, probe, agentLog);
const request = (method: string, params: unknown): Promise<Msg> => m.request(method, params, 90_000, agentLog);

const checks: [string, boolean][] = [];
const check = (name: string, ok: boolean) => {
  checks.push([name, ok]);
  log(ok ? 'PASS' : 'FAIL', name);
};

try {
  const state = await until('state message', 30_000, () => inbox[0]);
  check('first message is state', state.t === 'state');
  const uuid = randomUUID();
  const name = `agent-${uuid.slice(0, 6)}`;
  const spec = {
    uuid,
    name,
    vcpus: 1,
    memoryMiB: 256,
    template: {
      kernelPath: join(imageDir, 'vmlinuz'),
      initrdPath: join(imageDir, 'initrd.img'),
      diskPath: join(imageDir, 'base.qcow2'),
      cmdline: image.cmdline ?? 'console=ttyS0',
    },
  };
  const tCreate = performance.now();
  const created = await request('vm.create', { spec });
  const tCreated = performance.now();
  const started = await request('vm.start', { uuid });
  log(
    `create ${Math.round(tCreated - tCreate)} ms + start ${Math.round(performance.now() - tCreated)} ms = create→running ${Math.round(performance.now() - tCreate)} ms`,
  );
  check('create ok with progress', created.ok === true && inbox.some((m) => m.t === 'progress' && m.id === created.id));
  check('start → running', (started.result as { domain: { state: string } }).domain.state === 'running');
  check('create again is idempotent', (await request('vm.create', { spec })).ok === true);
  check('start again is ok', (await request('vm.start', { uuid })).ok === true);
  await until('started event', 5000, () =>
    inbox.find((m) => m.t === 'domain' && m.uuid === uuid && m.event === 'started'),
  );
  const serial = join(storageDir, `${uuid}.serial.log`);
  await until(
    'guest banner',
    120_000,
    async () => existsSync(serial) && (await readFile(serial, 'utf8')).includes(`VIREO GUEST ${name} READY`),
  );
  log('guest banner seen');
  const chan = await request('console.open', { uuid, channelId: 'chan_0123456789abcdef' });
  await until('RFB banner over the relay', 5000, () => m.consoleBytes().toString('latin1').startsWith('RFB 003.008'));
  check('console relay delivers the VNC banner', chan.ok === true);
  await until('stats message', 10_000, () =>
    inbox.find((m) => m.t === 'stats' && (m.domains as { uuid: string }[]).some((d) => d.uuid === uuid)),
  );
  check('stats include the VM', true);
  const delRunning = await request('vm.delete', { uuid });
  check(
    'delete refused while running',
    delRunning.ok === false && (delRunning.error as { code: string }).code === 'INVALID_STATE',
  );
  const tShut = performance.now();
  const shut = await request('vm.shutdown', { uuid, timeoutMs: 60_000 });
  log(`graceful shutdown ${Math.round(performance.now() - tShut)} ms`);
  check('shutdown → shutoff', (shut.result as { domain: { state: string } } | undefined)?.domain.state === 'shutoff');
  check('forceOff when off is ok', (await request('vm.forceOff', { uuid })).ok === true);
  const del = await request('vm.delete', { uuid });
  const deleted = (del.result as { deletedDisks: string[] }).deletedDisks;
  check(
    'delete removes only the overlay',
    deleted.length === 1 &&
      deleted[0] === join(storageDir, `${uuid}.qcow2`) &&
      !existsSync(deleted[0]!) &&
      !existsSync(serial),
  );
  check('base image kept', existsSync(spec.template.diskPath));
  check(
    'delete again → []',
    ((await request('vm.delete', { uuid })).result as { deletedDisks: string[] }).deletedDisks.length === 0,
  );
  const bad = await request('vm.start', { uuid: 'nope' });
  check('bad params → BAD_INPUT', (bad.error as { code: string }).code === 'BAD_INPUT');
  const events = inbox.filter((m) => m.t === 'domain' && m.uuid === uuid).map((m) => m.event);
  log('domain events', events.join(' → '));
  check(
    'undefined event has domain null',
    inbox.some((m) => m.t === 'domain' && m.uuid === uuid && m.event === 'undefined' && m.domain === null),
  );
} finally {
  await agent.stop();
  m.close();
}
const failed = checks.filter(([, ok]) => !ok);
log(
  failed.length ? `AGENT LAB FAILED: ${failed.map(([n]) => n).join(', ')}` : `AGENT LAB OK (${checks.length} checks)`,
);
process.exit(failed.length ? 1 : 0);
