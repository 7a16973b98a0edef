/**
 * vm.clone on real lab guests: a stopped vireo-tiny VM with a NIC and an extra pool volume is
 * cloned; the clone has its own uuid, MAC, overlay and volume copy (checked with virsh inside the
 * lab host) and boots (READY on its serial line). A running VM is refused. A cancelled clone and
 * a clone whose agent is killed mid-way (after its volume copy, before define) leave no domain,
 * overlay file, pool volume or VM row.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type Api, admin, defaultTemplate, rejection, uniqueName, waitTask, removeVms } from '../support/api.ts';
import { ensureHardwareFixtures, poolVolumes, TEST_NETWORKS } from '../support/hardware-fixtures.ts';
import { type LabHost, hostOfDomain, lab, labHostsAllOnline, virsh, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);
const MIB = 1024 ** 2;
let api: Api;
const made: string[] = [];
let source: { vmId: string; uuid: string; name: string; host: LabHost };

const vmFile = (uuid: string, ext: string) => `${lab().sharedDir}/vms/${uuid}.${ext}`;

async function macsOf(host: LabHost, uuid: string): Promise<string[]> {
  const xml = (await virsh(host, 'dumpxml', uuid)).stdout;
  return [...xml.matchAll(/<mac address='([0-9a-f:]+)'/g)].map((m) => m[1] ?? '');
}

/** Nothing of a clone with this uuid is left: no domain, overlay, volume or row. */
async function assertNothingLeft(uuid: string, vmId: string): Promise<void> {
  for (const host of lab().hosts) {
    assert.equal((await virsh(host, 'domstate', uuid)).code === 0, false, `no domain ${uuid} on ${host.name}`);
  }
  await waitFor(
    'the clone’s volume gone from the pool',
    async () => !(await poolVolumes(source.host)).some((v) => v.startsWith(uuid)),
    60_000,
    500,
  );
  assert.equal(existsSync(vmFile(uuid, 'qcow2')), false, 'no overlay file');
  await waitFor('the clone’s row gone', async () => (await rejection(api.vm.byId.query({ vmId }))).code, 60_000, 250);
  assert.equal((await rejection(api.vm.byId.query({ vmId }))).code, 'NOT_FOUND');
}

before(async () => {
  ({ api } = await admin());
  await ensureHardwareFixtures();
  const template = await defaultTemplate(api);
  const name = uniqueName('clsrc');
  const { taskId, vmId } = await api.vm.create.mutate({
    name,
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
    // Large enough (sparse, raw) that a copy takes a moment: the cancel lands while it runs.
    disks: [{ bus: 'virtio', format: 'raw', source: { kind: 'blank', sizeBytes: 3072 * MIB } }],
    nics: [{ network: TEST_NETWORKS[0], model: 'virtio' }],
  });
  made.push(vmId);
  const task = await waitTask(api, taskId, 120_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  const vm = await api.vm.byId.query({ vmId });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the source is defined on a lab host');
  source = { vmId, uuid: vm.uuid, name, host };
});

after(async () => {
  await removeVms(api, made);
});

test('a running VM is refused; a stopped one is cloned with its own uuid, MAC and disks, and boots', async () => {
  const start = await waitTask(api, (await api.vm.start.mutate({ vmId: source.vmId })).taskId);
  assert.equal(start.state, 'succeeded');
  const refused = await rejection(api.vm.clone.mutate({ vmId: source.vmId, name: uniqueName('clno') }));
  assert.equal(refused.code, 'INVALID_STATE');
  assert.match(refused.message, /shut it down first/);
  const off = await waitTask(api, (await api.vm.forceOff.mutate({ vmId: source.vmId })).taskId);
  assert.equal(off.state, 'succeeded');

  const name = uniqueName('clone');
  const { taskId, vmId } = await api.vm.clone.mutate({ vmId: source.vmId, name });
  made.push(vmId);
  const task = await waitTask(api, taskId, 120_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  assert.equal(task.progress, 100);
  const clone = await api.vm.byId.query({ vmId });
  assert.equal(clone.name, name);
  assert.equal(clone.state, 'shutoff');
  assert.notEqual(clone.uuid, source.uuid);
  assert.equal((await hostOfDomain(clone.uuid))?.name, source.host.name, 'on the source’s host');

  const [srcMacs, cloneMacs] = [await macsOf(source.host, source.uuid), await macsOf(source.host, clone.uuid)];
  assert.equal(cloneMacs.length, 1);
  assert.notEqual(cloneMacs[0], srcMacs[0], 'the clone has its own MAC');
  const hw = await api.vm.hardware.query({ vmId });
  assert.equal(hw.nics[0]?.mac, cloneMacs[0]);
  assert.equal(hw.nics[0]?.network, TEST_NETWORKS[0]);
  const copy = `${clone.uuid}-disk1.raw`;
  assert.ok((await poolVolumes(source.host)).includes(copy), 'the extra volume was copied');
  assert.equal(hw.disks[1]?.volume, copy);
  assert.equal(hw.disks[1]?.owned, true);
  // The overlay is a copy of the source's, on the same template base.
  const info = await virsh(source.host, 'domblklist', clone.uuid);
  assert.match(info.stdout, new RegExp(`${clone.uuid}\\.qcow2`));
  assert.ok(existsSync(vmFile(clone.uuid, 'qcow2')));
  const { stdout } = await exec('qemu-img', ['info', '-U', '--output=json', vmFile(clone.uuid, 'qcow2')]);
  const { stdout: srcInfo } = await exec('qemu-img', ['info', '-U', '--output=json', vmFile(source.uuid, 'qcow2')]);
  assert.equal(JSON.parse(stdout)['backing-filename'], JSON.parse(srcInfo)['backing-filename']);

  const started = await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId);
  assert.equal(started.state, 'succeeded', started.errorMessage ?? '');
  const log = vmFile(clone.uuid, 'serial.log');
  await waitFor(
    'READY on the clone’s serial line',
    async () => existsSync(log) && readFileSync(log, 'utf8').includes(`VIREO GUEST ${name} READY`),
    90_000,
    250,
  );
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
});

test('a cancelled clone leaves no domain, overlay, volume or row', async () => {
  const { taskId, vmId } = await api.vm.clone.mutate({ vmId: source.vmId, name: uniqueName('clcan') });
  const { uuid } = await api.vm.byId.query({ vmId });
  assert.deepEqual(await api.vm.cancelClone.mutate({ taskId }), { cancelled: true });
  const task = await waitTask(api, taskId, 120_000);
  assert.equal(task.state, 'failed');
  assert.equal(task.errorCode, 'CANCELLED');
  await assertNothingLeft(uuid, vmId);
  assert.deepEqual(
    await api.vm.cancelClone.mutate({ taskId }),
    { cancelled: false },
    'a finished clone stays as it is',
  );
});

// Agent control as in volume-crash.test.ts (through scripts/stack-ctl.sh).
const stackCtl = (env: Record<string, string>, ...args: string[]) =>
  exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 90_000, env: { ...process.env, ...env } });

async function agentPid(host: LabHost): Promise<number | null> {
  const dir = process.env.VIREO_TEST_STACK_DIR ?? '';
  const text = await readFile(join(dir, 'agents', host.name, 'agent.pid'), 'utf8').catch(() => '');
  return text.trim() ? Number(text.trim()) : null;
}

function alive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function restartAgents(fault?: string): Promise<void> {
  for (const h of lab().hosts) await stackCtl({}, 'stop-agent', h.name);
  await waitFor(
    'the agents offline',
    async () => (await api.host.list.query()).every((h) => h.status === 'offline'),
    15_000,
    100,
  );
  await stackCtl(
    { VIREO_JOURNAL_SETTLE_INTERVAL_MS: '2000', ...(fault ? { VIREO_AGENT_FAULT: fault } : {}) },
    'start-agents',
  );
  await waitFor('every host online', async () => labHostsAllOnline(await api.host.list.query()), 120_000, 200);
}

test('an agent killed during a clone leaves no overlay, volume or row', async () => {
  await restartAgents('create:after-volume');
  let armed = true;
  try {
    const { taskId, vmId } = await api.vm.clone.mutate({ vmId: source.vmId, name: uniqueName('clcrash') });
    const { uuid } = await api.vm.byId.query({ vmId });
    const pid = await agentPid(source.host);
    await waitFor('the agent to kill itself after the volume copy', async () => !alive(pid), 60_000, 100);
    assert.ok(existsSync(vmFile(uuid, 'qcow2')), 'the agent died with the overlay copied');
    const task = await waitTask(api, taskId, 60_000);
    assert.equal(task.state, 'failed');
    assert.match(task.errorMessage ?? '', /Lost the connection to host/);
    await restartAgents();
    armed = false;
    await assertNothingLeft(uuid, vmId);
  } finally {
    // Later files share this stack: no armed agent stays.
    if (armed) await restartAgents();
  }
});
