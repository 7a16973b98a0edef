/**
 * An agent killed (SIGKILL, by its test-only fault points) in the middle of a volume operation:
 * a volume create, a full volume copy (storage.cloneVolume), and template.fromVm's disk copy.
 * The task ends failed with a readable message at once (the manager lost the connection); once
 * the agent is back, the volume libvirt made is gone from the pool (virsh vol-list inside the lab
 * host) and no template row was left behind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { admin, type Api, uniqueName, waitTask } from '../support/api.ts';
import { startAgents as startAllAgents, stopAgents, waitForAgentDeath } from '../support/agents.ts';
import { type LabHost, lab, virsh, waitFor } from '../support/lab.ts';

let api: Api;
const vms: string[] = [];
let armed = false;

/**
 * Restarts every lab host's agent, with `fault` armed or not. The journal is settled at start-up
 * and then every 2 s: a copy libvirtd was still writing when its agent died is deleted once done.
 */
async function restartAgents(fault?: string): Promise<void> {
  await stopAgents(api, lab().hosts);
  armed = false;
  await startAgents(fault);
}

async function startAgents(fault?: string): Promise<void> {
  if (fault) armed = true;
  await startAllAgents(api, {
    VIREO_JOURNAL_SETTLE_INTERVAL_MS: '2000',
    ...(fault ? { VIREO_AGENT_FAULT: fault } : {}),
  });
}

/** Waits until an agent has killed itself at its fault point; returns its host. */
const agentDeath = () => waitForAgentDeath(lab().hosts);

async function poolVolumes(host: LabHost): Promise<string[]> {
  await virsh(host, 'pool-refresh', 'default');
  return (await virsh(host, 'vol-list', '--pool', 'default')).stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/** The task failed, saying the host was lost: not left running, not a bare stack trace. */
async function assertFailedReadably(taskId: string): Promise<void> {
  const task = await waitTask(api, taskId, 60_000);
  assert.equal(task.state, 'failed');
  assert.match(task.errorMessage ?? '', /Lost the connection to host/);
}

/** Once the agents are back, the volume goes from the pool (the restarted agent's journal). */
async function assertVolumeGone(host: LabHost, name: string): Promise<void> {
  await waitFor(`${name} gone from the pool`, async () => !(await poolVolumes(host)).includes(name), 60_000, 500);
  const open = (await api.task.list.query()).filter((t) => t.state === 'queued' || t.state === 'running');
  assert.deepEqual(
    open.map((t) => t.kind),
    [],
    'no task stays queued or running',
  );
}

before(async () => {
  ({ api } = await admin());
});

after(async () => {
  // Later test files share this stack: no armed agent, and none killed by a failed test, stays.
  if (armed) await restartAgents();
  else await startAgents();
  for (const vmId of vms) {
    const del = await api.vm.delete.mutate({ vmId }).catch(() => null);
    if (del) await waitTask(api, del.taskId).catch(() => {});
  }
});

test('agent killed once libvirt made a new volume: the task fails and the volume goes', async () => {
  const name = `${uniqueName('vcrash')}.qcow2`;
  await restartAgents('volume:after-make');
  const { taskId } = await api.storage.createVolume.mutate({
    pool: 'default',
    name,
    format: 'qcow2',
    capacityBytes: 64 * 1024 ** 2,
  });
  const dead = await agentDeath();
  assert.ok((await poolVolumes(dead)).includes(name), 'the agent died with the volume made');
  await assertFailedReadably(taskId);
  await startAgents();
  await assertVolumeGone(dead, name);
});

test('agent killed during a full volume copy: the task fails and the copy goes, the source stays', async () => {
  await restartAgents(); // none armed by an earlier test, none left dead by one that failed
  const source = `${uniqueName('vsrc')}.raw`;
  const c = await api.storage.createVolume.mutate({
    pool: 'default',
    name: source,
    format: 'raw',
    capacityBytes: 2 * 1024 ** 3,
  });
  assert.equal((await waitTask(api, c.taskId)).state, 'succeeded');
  const copy = `${uniqueName('vcopy')}.raw`;
  await restartAgents('volume:during-copy');
  const { taskId } = await api.storage.cloneVolume.mutate({
    pool: 'default',
    name: copy,
    source: { pool: 'default', name: source },
    mode: 'full',
    format: 'raw',
  });
  const dead = await agentDeath();
  // The agent died once libvirt had taken the copy on (its volume object exists from then on);
  // libvirtd goes on writing it, and its file appears (an agent killed before asking never
  // makes one). vol-list shows a volume still being written only once it is done.
  const file = join(lab().sharedDir, 'pool-default', copy);
  await waitFor('the copy’s file, written by libvirtd after the agent died', async () => existsSync(file), 20_000, 50);
  await assertFailedReadably(taskId);
  await startAgents();
  await assertVolumeGone(dead, copy);
  assert.ok(!existsSync(file), 'the copy’s file is gone');
  assert.ok((await poolVolumes(dead)).includes(source), 'the source stays');
  const d = await api.storage.deleteVolume.mutate({ pool: 'default', name: source });
  assert.equal((await waitTask(api, d.taskId)).state, 'succeeded');
});

test('agent killed during template.fromVm’s disk copy: the task fails, no copy and no template row stay', async () => {
  await restartAgents();
  const bios = (await api.template.list.query()).find((t) => t.name === 'vireo-tiny-bios');
  assert.ok(bios, 'the seeded template vireo-tiny-bios');
  const created = await api.vm.create.mutate({
    name: uniqueName('vcsrc'),
    templateId: bios.id,
    diskMode: 'linked',
    vcpus: 1,
    memoryMiB: 128,
    start: false,
  });
  vms.push(created.vmId);
  assert.equal((await waitTask(api, created.taskId, 120_000)).state, 'succeeded');

  const name = uniqueName('vctpl');
  await restartAgents('volume:during-copy');
  const { taskId } = await api.template.fromVm.mutate({ vmId: created.vmId, name });
  const dead = await agentDeath();
  const copies = async () => {
    const files = (await readdir(join(lab().sharedDir, 'pool-default'))).filter((f) => f.startsWith(`${name}-`));
    const listed = (await poolVolumes(dead)).filter((v) => v.startsWith(`${name}-`));
    return [...new Set([...files, ...listed])];
  };
  // As above: libvirtd writes the copy's file after the agent died (never, had it died earlier).
  await waitFor('the copy begun by libvirtd', async () => (await copies()).length === 1, 20_000, 50);
  await assertFailedReadably(taskId);
  await startAgents();
  await waitFor('the copy gone from the pool', async () => (await copies()).length === 0, 60_000, 500);
  assert.equal(
    (await api.template.list.query()).find((t) => t.name === name),
    undefined,
    'no template row',
  );
  // The VM is as it was, and no longer locked: a second try succeeds.
  assert.equal((await api.vm.byId.query({ vmId: created.vmId })).state, 'shutoff');
  const again = await waitTask(api, (await api.template.fromVm.mutate({ vmId: created.vmId, name })).taskId, 120_000);
  assert.equal(again.state, 'succeeded', again.errorMessage ?? '');
  const made = (await api.template.list.query()).find((t) => t.name === name);
  assert.ok(made);
  assert.equal((await api.template.delete.mutate({ templateId: made.id })).keptVolumes.length, 0);
});
