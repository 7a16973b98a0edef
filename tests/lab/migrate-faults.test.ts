/**
 * Faults on the DESTINATION in the middle of a live migration (issue 8): whatever happens, the
 * end is a defined state: the domain runs on exactly one lab host, the manager records that host
 * and state, the task has ended (succeeded, or failed with a reason people can read), no
 * vm.conflict was raised, and the VM can be migrated again.
 *
 * The migration is slowed down (1 MiB/s) so the fault lands while it runs.
 * - Destination agent killed (SIGKILL): libvirt does not need it (the source's libvirtd drives a
 *   peer-to-peer migration), so the migration goes on; once the agent is back, the test lifts the
 *   bandwidth limit on the source (virsh migrate-setspeed) so it ends within the test's time.
 *   Either end is accepted as long as it is defined; in the lab runs it succeeded (the restarted
 *   agent reports the incoming domain, expected while the task runs: no conflict).
 * - Destination libvirtd killed (SIGKILL): the source's libvirtd loses its peer ("client socket
 *   is closed") and fails the migration; the VM keeps running on the source; the restarted
 *   libvirtd drops the half-made incoming domain. The task says it as a failed migration with
 *   libvirt's words and where the VM stays.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type Api, admin, createTestVm, removeVms, waitTask } from '../support/api.ts';
import { startAgents, stackCtl } from '../support/agents.ts';
import { domState, hostOfDomain, inHost, type LabHost, lab, virsh, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);

let api: Api;
const made: string[] = [];

before(async () => {
  ({ api } = await admin());
});

after(async () => {
  await removeVms(api, made);
});

async function managerHostId(name: string): Promise<string> {
  const host = (await api.host.list.query()).find((h) => h.name === name);
  assert.ok(host, `host ${name} is known to the manager`);
  return host.id;
}

function otherHost(host: LabHost): LabHost {
  const other = lab().hosts.find((h) => h.name !== host.name);
  assert.ok(other, 'the lab has a second host');
  return other;
}

/** A running VM and a slow migration of it to another host, caught while its job runs. */
async function slowMigration(prefix: string) {
  const { vmId, vm } = await createTestVm(api, prefix);
  made.push(vmId);
  const source = await hostOfDomain(vm.uuid);
  assert.ok(source, 'the domain is on a lab host');
  const target = otherHost(source);
  const { taskId } = await api.vm.migrate.mutate({
    vmId,
    targetHostId: await managerHostId(target.name),
    bandwidthMiBs: 1,
    autoConverge: false,
  });
  let seen = '';
  await waitFor(
    'the migration job to report progress',
    async () => {
      const task = await api.task.byId.query({ taskId });
      seen = `${task.state}: ${task.message ?? ''} ${task.errorMessage ?? ''}`;
      return /Migrating: /.test(task.message ?? '');
    },
    60_000,
    200,
  ).catch(() => assert.fail(`the migration job never reported progress; the task was ${seen}`));
  assert.equal(await domState(target, vm.uuid), 'paused', 'the incoming domain waits on the target');
  return { vmId, uuid: vm.uuid, source, target, taskId };
}

/** libvirt on every lab host: the hosts that have the domain, with its state. */
async function whereRunning(uuid: string): Promise<{ host: string; state: string }[]> {
  const out: { host: string; state: string }[] = [];
  for (const h of lab().hosts) {
    const state = await domState(h, uuid);
    if (state !== null) out.push({ host: h.name, state });
  }
  return out;
}

/**
 * The defined state after the fault: one host runs the domain, nothing is left on any other,
 * the manager agrees, no conflict event. Returns the host the VM ended on.
 */
async function assertDefinedState(vmId: string, uuid: string, what: string): Promise<string> {
  let seen: { host: string; state: string }[] = [];
  await waitFor(
    `${what}: the domain on exactly one lab host, running`,
    async () => {
      seen = await whereRunning(uuid);
      return seen.length === 1 && seen[0]?.state === 'running';
    },
    60_000,
    500,
  ).catch(() => assert.fail(`${what}: libvirt shows ${JSON.stringify(seen)}`));
  const host = seen[0]?.host as string;
  let vm = await api.vm.byId.query({ vmId });
  await waitFor(
    `${what}: the manager records the VM running on ${host}`,
    async () => {
      vm = await api.vm.byId.query({ vmId });
      return vm.hostName === host && vm.state === 'running';
    },
    30_000,
    250,
  ).catch(() => assert.fail(`${what}: the manager has ${vm.state} on ${vm.hostName}, libvirt running on ${host}`));
  const conflicts = (await api.event.list.query()).filter((e) => e.vmId === vmId && e.kind === 'vm.conflict');
  assert.deepEqual(
    conflicts.map((e) => e.message),
    [],
    `${what}: no vm.conflict`,
  );
  return host;
}

/** The VM migrates again, to a host it is not on, after the fault. */
async function migratesAgain(vmId: string, uuid: string, from: string, what: string): Promise<void> {
  const to = lab().hosts.find((h) => h.name !== from) as LabHost;
  const { taskId } = await api.vm.migrate.mutate({ vmId, targetHostId: await managerHostId(to.name) });
  const task = await waitTask(api, taskId, 120_000);
  assert.equal(task.state, 'succeeded', `${what}: migrating again: ${task.errorCode} ${task.errorMessage}`);
  assert.equal(await domState(to, uuid), 'running');
  const vm = await api.vm.byId.query({ vmId });
  assert.equal(vm.hostName, to.name);
}

test('destination agent killed mid-migration: one running copy, the manager agrees, the VM migrates again', async () => {
  const { vmId, uuid, source, target, taskId } = await slowMigration('mfa');
  await stackCtl({}, 'stop-agent', target.name, '--kill');
  await waitFor(
    'the manager to see the destination offline',
    async () => (await api.host.list.query()).find((h) => h.name === target.name)?.status === 'offline',
    30_000,
    200,
  );
  // The migration does not need the destination's agent: it goes on (or, on a loaded machine
  // where the guest's few dirty MiB went across at 1 MiB/s before the agent was seen offline,
  // it has already succeeded; the source's libvirtd drove it either way). It never fails for it.
  const during = await api.task.byId.query({ taskId });
  assert.ok(
    during.state === 'running' || during.state === 'succeeded',
    `the migration goes on without the agent: ${during.state} ${during.message ?? ''} ${during.errorMessage ?? ''}`,
  );
  await startAgents(api);
  if (during.state === 'running') {
    // Now let it finish in time: lift the 1 MiB/s limit on the source's job. The job may have
    // ended meanwhile ("no job"), which the task's end below tells apart.
    const speed = await virsh(source, 'migrate-setspeed', uuid, '1000');
    if (speed.code !== 0) console.log(`# migrate-setspeed: ${speed.stderr.trim()}`);
  }
  const task = await waitTask(api, taskId, 120_000);
  if (task.state === 'failed') {
    assert.ok(task.errorMessage && task.errorMessage.length > 10, `a readable reason: ${task.errorMessage}`);
  }
  const host = await assertDefinedState(vmId, uuid, 'after the destination agent was killed');
  assert.equal(host, task.state === 'succeeded' ? target.name : source.name, 'the VM is where the task says');
  console.log(
    `# destination agent killed: the migration ${task.state} (${task.message ?? task.errorMessage}); VM on ${host}`,
  );
  await migratesAgain(vmId, uuid, host, 'after the destination agent was killed');
});

test('destination libvirtd killed mid-migration: the task fails with the reason, the VM runs on the source only', async () => {
  const { vmId, uuid, source, target, taskId } = await slowMigration('mfl');
  const kill = await inHost(target, ['sh', '-c', 'kill -KILL "$(cat /run/libvirtd.pid)"']);
  assert.equal(kill.code, 0, kill.stderr);
  const task = await waitTask(api, taskId, 90_000);
  assert.equal(task.state, 'failed', `the migration cannot finish without the destination's libvirtd: ${task.message}`);
  assert.match(
    task.errorMessage ?? '',
    new RegExp(`^Migration to ${target.name} failed: .+\\. \\S+ stays on ${source.name}\\.$`),
    "a readable reason: what failed, libvirt's words, where the VM is",
  );
  console.log(`# destination libvirtd killed: task failed: ${task.errorCode} ${task.errorMessage}`);
  assert.equal(await domState(source, uuid), 'running', 'the VM keeps running on the source');
  // The destination's libvirtd comes back (as systemd would restart it).
  const { stdout } = await exec('bash', ['lab/lab.sh', 'restart-libvirtd', '--name', lab().name, target.name]);
  assert.ok(Number(stdout.trim()) > 0, `a new libvirtd (${stdout.trim()})`);
  const host = await assertDefinedState(vmId, uuid, 'after the destination libvirtd was killed');
  assert.equal(host, source.name);
  await migratesAgain(vmId, uuid, host, 'after the destination libvirtd was killed');
});
