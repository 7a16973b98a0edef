/**
 * Vireo never shows something libvirt does not, whatever dies mid-operation. Each fault is made
 * deterministic by freezing an agent (SIGSTOP) so that a request sits unread in its socket, then
 * killing the manager or the agent, and letting the rest run. Afterwards Vireo's view must equal
 * libvirt's, no task may stay unfinished, and no file in the VM storage may belong to nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type Api, admin, createTestVm, rejection, uniqueName, waitTask, defaultTemplate } from '../support/api.ts';
import { domState, hostOfDomain, lab, labHostsAllOnline, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);
const stackCtl = (...args: string[]) => exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 90_000 });
/** stack-ctl with extra environment for the processes it starts. */
const stackCtlWith = (env: Record<string, string>, ...args: string[]) =>
  exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 90_000, env: { ...process.env, ...env } });
const stackDir = () => process.env.VIREO_TEST_STACK_DIR ?? '';
const agentPid = (host: string) => Number(readFileSync(join(stackDir(), 'agents', host, 'agent.pid'), 'utf8'));
const managerPid = () => Number(readFileSync(join(stackDir(), 'manager.pid'), 'utf8'));
const overlay = (uuid: string) => join(lab().sharedDir, 'vms', `${uuid}.qcow2`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let api: Api;
let templateId = '';

before(async () => {
  ({ api } = await admin());
  const template = await defaultTemplate(api);
  assert.ok(template);
  templateId = template.id;
});

/** Every lab host online again in the manager (fresh client: the manager may have restarted). */
async function labHostsOnline(): Promise<void> {
  await waitFor(
    'every lab host online',
    async () => {
      try {
        return labHostsAllOnline(await api.host.list.query());
      } catch {
        return false; // the manager is restarting
      }
    },
    60_000,
    250,
  );
}

function signalAgents(signal: NodeJS.Signals): void {
  for (const h of lab().hosts) process.kill(agentPid(h.name), signal);
}

/** Gone, or a zombie (nobody reaps here): a killed process takes a moment to exit, longer when frozen. */
function dead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function killManagerAndRestart(whileDown: () => void): Promise<void> {
  const pid = managerPid();
  process.kill(pid, 'SIGKILL');
  await waitFor('the manager dead', async () => dead(pid), 15_000, 50);
  whileDown();
  await stackCtl('start-manager');
  await labHostsOnline();
}

async function vmGone(vmId: string): Promise<boolean> {
  try {
    await api.vm.byId.query({ vmId });
    return false;
  } catch (err) {
    return (await rejection(Promise.reject(err))).code === 'NOT_FOUND';
  }
}

after(async () => {
  // Whatever happened above, leave the agents running and the hosts online for the next file.
  for (const h of lab().hosts) {
    try {
      process.kill(agentPid(h.name), 'SIGCONT');
    } catch {}
  }
  await stackCtl('start-agents');
  await labHostsOnline();
});

test('manager killed mid-create, after libvirt defined the VM: it settles as created', async () => {
  signalAgents('SIGSTOP');
  let cont = true;
  try {
    const { taskId, vmId } = await api.vm.create.mutate({
      name: uniqueName('mkc'),
      templateId,
      vcpus: 1,
      memoryMiB: 128,
      start: false,
    });
    const { uuid } = await api.vm.byId.query({ vmId });
    await sleep(300); // the request is in the frozen agent's socket
    await killManagerAndRestart(() => {
      signalAgents('SIGCONT'); // the agent now creates the VM; its reply has nowhere to go
      cont = false;
    });
    await waitFor('the VM settled to shutoff', async () => (await api.vm.byId.query({ vmId })).state === 'shutoff');
    const host = await hostOfDomain(uuid);
    assert.ok(host, 'libvirt has the domain');
    assert.equal(await domState(host, uuid), 'shut off');
    assert.equal((await api.vm.byId.query({ vmId })).hostName, host.name);
    const task = await api.task.byId.query({ taskId });
    assert.equal(task.state, 'failed', 'the interrupted task is finished, not left running');
    assert.ok(existsSync(overlay(uuid)), 'the VM keeps its disk');
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  } finally {
    if (cont) signalAgents('SIGCONT');
  }
});

test('manager killed mid-delete, after libvirt finished it: the VM ends deleted', async () => {
  const { vmId, vm } = await createTestVm(api, 'mkd', { start: false });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  const pid = agentPid(host.name);
  process.kill(pid, 'SIGSTOP');
  let cont = true;
  try {
    const { taskId } = await api.vm.delete.mutate({ vmId });
    await sleep(300);
    await killManagerAndRestart(() => {
      process.kill(pid, 'SIGCONT');
      cont = false;
    });
    await waitFor('the VM record removed', () => vmGone(vmId));
    assert.equal(await domState(host, vm.uuid), null, 'libvirt has no such domain');
    assert.ok(!existsSync(overlay(vm.uuid)), 'its disk is gone');
    const task = await api.task.byId.query({ taskId });
    assert.notEqual(task.state, 'running');
    assert.notEqual(task.state, 'queued');
    assert.match(task.errorMessage ?? task.message ?? '', /libvirt had finished the delete/);
  } finally {
    if (cont) process.kill(pid, 'SIGCONT');
  }
});

test('agent killed before a create reached libvirt: failed create, record and disk gone, task says why', async () => {
  signalAgents('SIGSTOP');
  let vmId = '';
  let taskId = '';
  let uuid = '';
  try {
    ({ taskId, vmId } = await api.vm.create.mutate({
      name: uniqueName('akc'),
      templateId,
      vcpus: 1,
      memoryMiB: 128,
      start: false,
    }));
    ({ uuid } = await api.vm.byId.query({ vmId }));
    await sleep(300);
  } finally {
    // A frozen process takes SIGKILL: it dies without ever reading the request.
    const pids = lab().hosts.map((h) => agentPid(h.name));
    signalAgents('SIGKILL');
    // start-agents skips an agent whose process still exists: wait until they are really gone.
    await waitFor('the agents dead', async () => pids.every(dead), 15_000, 50);
  }
  await waitFor('the create failed', async () => (await api.task.byId.query({ taskId })).state === 'failed');
  assert.equal((await api.vm.byId.query({ vmId })).state, 'unknown', 'unknown while its host is away');
  await stackCtl('start-agents');
  await labHostsOnline();
  await waitFor('the VM record removed', () => vmGone(vmId));
  assert.equal(await hostOfDomain(uuid), null, 'no host has the domain');
  assert.ok(!existsSync(overlay(uuid)), 'no disk was left behind');
  const task = await api.task.byId.query({ taskId });
  assert.equal(task.state, 'failed');
  assert.match(task.errorMessage ?? '', /did not exist in libvirt/);
});

test('manager gives up waiting on a slow delete: the VM is unknown, then deleted once the host finishes', async () => {
  const { vmId, vm } = await createTestVm(api, 'slowdel', { start: false });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  // A manager that waits 3 s for disk work, and an agent whose storage takes 8 s after undefine.
  await stackCtl('stop-manager');
  await stackCtlWith({ VIREO_DISK_OPERATION_TIMEOUT_S: '3' }, 'start-manager');
  await stackCtl('stop-agent', host.name);
  await stackCtlWith({ VIREO_AGENT_FAULT: 'delete:slow-after-undefine' }, 'start-agents');
  try {
    await labHostsOnline();
    const { taskId } = await api.vm.delete.mutate({ vmId });
    const task = await waitTask(api, taskId, 20_000);
    assert.equal(task.state, 'failed');
    assert.equal(task.errorCode, 'TIMEOUT', task.errorMessage ?? '');
    // The host finishes a few seconds later and says so; no reconnect is needed.
    await waitFor('the VM record removed', () => vmGone(vmId), 20_000, 200);
    assert.equal(await domState(host, vm.uuid), null);
    assert.ok(!existsSync(overlay(vm.uuid)), 'its disk is gone');
  } finally {
    await stackCtl('stop-manager');
    await stackCtl('start-manager');
    await stackCtl('stop-agent', host.name);
    await stackCtl('start-agents');
    await labHostsOnline();
  }
});

test('no task is left queued or running', async () => {
  const tasks = await api.task.list.query();
  const unfinished = tasks.filter((t) => t.state === 'queued' || t.state === 'running');
  assert.deepEqual(unfinished, []);
});
