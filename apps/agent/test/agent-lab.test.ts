/**
 * The real agent against a real libvirt host, driven by a fake manager over the real protocol:
 * what only the agent's side shows (idempotent re-sent requests, its own refusals and BAD_INPUT,
 * the progress and event messages it sends). Runs in the suite (scripts/test.sh) against the test
 * lab: the agent runs inside lab host 2 beside the stack's own agent, with its VM storage in a
 * directory of its own; the stack's manager ignores the domain (not one of its VMs).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Msg, spawnAgent, startFakeManager, until as untilOr } from './lab-harness.ts';

const labJson = process.env.VIREO_TEST_LAB_JSON;
if (!labJson) throw new Error('VIREO_TEST_LAB_JSON is not set: run with scripts/test.sh.');
const lab = JSON.parse(readFileSync(labJson, 'utf8')) as {
  gateway: string;
  sharedDir: string;
  imagesDir: string;
  hosts: { pid: number }[];
};
const imageDir = lab.imagesDir;
const storageDir = join(lab.sharedDir, 'agent-lab');
const image = JSON.parse(readFileSync(join(imageDir, 'image.json'), 'utf8')) as { cmdline?: string };

test('the real agent on a lab host: create, start, console, stats, shutdown, delete, refusals', async () => {
  const m = await startFakeManager(lab.gateway);
  const host = lab.hosts.at(-1)!;
  const agent = await spawnAgent(host.pid, m.url, storageDir);
  after(async () => {
    await agent.stop();
    m.close();
  });
  const { inbox } = m;
  const agentLog = () => agent.lines.join('\n');
  const until = <T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>) =>
    untilOr(what, ms, probe, agentLog);
  const request = (method: string, params: unknown): Promise<Msg> => m.request(method, params, 90_000, agentLog);
  const errorCode = (r: Msg) => (r.error as { code?: string } | undefined)?.code;

  const state = await until('state message', 30_000, () => inbox[0]);
  assert.equal(state.t, 'state', 'the first message is the state');
  const uuid = randomUUID();
  const name = `agent-${uuid.slice(0, 6)}`;
  const spec = {
    uuid,
    name,
    vcpus: 1,
    memoryMiB: 128,
    template: {
      kernelPath: join(imageDir, 'vmlinuz'),
      initrdPath: join(imageDir, 'initrd.img'),
      diskPath: join(imageDir, 'base.qcow2'),
      cmdline: image.cmdline ?? 'console=ttyS0',
    },
  };
  const created = await request('vm.create', { spec });
  assert.equal(created.ok, true, JSON.stringify(created.error));
  assert.ok(
    inbox.some((x) => x.t === 'progress' && x.id === created.id),
    'create sent progress',
  );
  const started = await request('vm.start', { uuid });
  assert.equal((started.result as { domain: { state: string } }).domain.state, 'running');
  assert.equal((await request('vm.create', { spec })).ok, true, 'create again is idempotent');
  assert.equal((await request('vm.start', { uuid })).ok, true, 'start again is ok');
  await until('started event', 5000, () =>
    inbox.find((x) => x.t === 'domain' && x.uuid === uuid && x.event === 'started'),
  );

  const serial = join(storageDir, `${uuid}.serial.log`);
  await until(
    'guest banner',
    120_000,
    async () => existsSync(serial) && (await readFile(serial, 'utf8')).includes(`VIREO GUEST ${name} READY`),
  );
  const chan = await request('console.open', { uuid, channelId: 'chan_0123456789abcdef' });
  assert.equal(chan.ok, true);
  await until('RFB banner over the relay', 5000, () => m.consoleBytes().toString('latin1').startsWith('RFB 003.008'));
  await until('stats with the VM', 10_000, () =>
    inbox.find((x) => x.t === 'stats' && (x.domains as { uuid: string }[]).some((d) => d.uuid === uuid)),
  );

  const delRunning = await request('vm.delete', { uuid });
  assert.equal(errorCode(delRunning), 'INVALID_STATE', 'delete refused while running');
  const shut = await request('vm.shutdown', { uuid, timeoutMs: 60_000 });
  assert.equal((shut.result as { domain: { state: string } } | undefined)?.domain.state, 'shutoff');
  assert.equal((await request('vm.forceOff', { uuid })).ok, true, 'forceOff when off is ok');
  const del = await request('vm.delete', { uuid });
  const deleted = (del.result as { deletedDisks: string[] }).deletedDisks;
  assert.deepEqual(deleted, [join(storageDir, `${uuid}.qcow2`)], 'delete removes only the overlay');
  assert.ok(!existsSync(deleted[0]!) && !existsSync(serial), 'overlay and serial log are gone');
  assert.ok(existsSync(spec.template.diskPath), 'the base image is kept');
  assert.deepEqual(((await request('vm.delete', { uuid })).result as { deletedDisks: string[] }).deletedDisks, []);
  assert.equal(errorCode(await request('vm.start', { uuid: 'nope' })), 'BAD_INPUT');
  await until('undefined event with domain null', 5000, () =>
    inbox.find((x) => x.t === 'domain' && x.uuid === uuid && x.event === 'undefined' && x.domain === null),
  );
});
