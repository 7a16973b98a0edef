/**
 * Issue 8 loose ends on the 3-host lab, proved from libvirt:
 * - the hosts report their CPU, and the cluster's CPU baseline is a migration pre-check: a model
 *   the lab's QEMU cannot offer refuses the migration with the reason, one it can offer passes;
 * - a host in maintenance takes no VM: starting (or cloning) a stopped VM left on it is refused
 *   with the reason, and libvirt keeps it shut off there;
 * - cancelling maintenance while it is entering stops the job after the migration in flight: that
 *   one finishes (the VM runs on the other host), the others stay running on the host, and the
 *   host is back in normal use.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Api, admin, createTestVm, rejection, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { domState, hostOfDomain, type LabHost, lab, waitFor } from '../support/lab.ts';

let api: Api;
const made: string[] = [];
let hostA: LabHost;
let hostAId: string;
let clusterId: string;
let saved: { cpuBaseline?: string | undefined; migrationParallelPerHost?: number | undefined } = {};

before(async () => {
  ({ api } = await admin());
  const first = lab().hosts[0];
  assert.ok(first, 'the lab has hosts');
  hostA = first;
  const known = (await api.host.list.query()).find((h) => h.name === hostA.name);
  assert.ok(known, `host ${hostA.name} is known to the manager`);
  hostAId = known.id;
  const inTree = (await api.inventory.tree.query()).hosts.find((h) => h.id === hostAId);
  assert.ok(inTree, 'the host is in the inventory tree');
  clusterId = inTree.clusterId;
  const settings = await api.inventory.clusterSettings.query({ clusterId });
  saved = { cpuBaseline: settings.cpuBaseline, migrationParallelPerHost: settings.migrationParallelPerHost };
});

after(async () => {
  await api.inventory.setClusterSettings.mutate({ clusterId, settings: saved }).catch(() => {});
  await api.host.exitMaintenance.mutate({ hostId: hostAId }).catch(() => {});
  await removeVms(api, made);
});

/** A VM on host A (created wherever placement puts it, then migrated there if need be). */
async function vmOnA(prefix: string, start = true): Promise<{ vmId: string; uuid: string; name: string }> {
  const { vmId, vm } = await createTestVm(api, prefix, { start });
  made.push(vmId);
  if (vm.hostId !== hostAId) {
    const { taskId } = await api.vm.migrate.mutate({ vmId, targetHostId: hostAId });
    const task = await waitTask(api, taskId, 120_000);
    assert.equal(task.state, 'succeeded', `moving ${vm.name} to ${hostA.name}: ${task.errorMessage}`);
  }
  assert.equal((await hostOfDomain(vm.uuid))?.name, hostA.name, `${vm.name} is on ${hostA.name}`);
  return { vmId, uuid: vm.uuid, name: vm.name };
}

const maintenanceOf = async (hostId: string) => (await api.host.list.query()).find((h) => h.id === hostId)?.maintenance;

test('hosts report their CPU; the cluster baseline is a migration pre-check with its reason', async () => {
  const hosts = await api.host.list.query();
  for (const h of hosts.filter((x) => x.status === 'online')) {
    assert.ok(h.cpuModel, `${h.name} reports its CPU model`);
    assert.ok(h.cpuVendor, `${h.name} reports its CPU vendor`);
    assert.ok(h.cpuFeatures.length > 0, `${h.name} reports its CPU features`);
  }
  const { vmId } = await createTestVm(api, 'cpuchk');
  made.push(vmId);
  const vm = await api.vm.byId.query({ vmId });
  const target = hosts.find((h) => h.id !== vm.hostId && h.status === 'online');
  assert.ok(target, 'another online host');
  // EPYC needs features the lab's TCG QEMU cannot give a guest (its domcapabilities say usable='no').
  await api.inventory.setClusterSettings.mutate({ clusterId, settings: { cpuBaseline: 'EPYC' } });
  const [refused] = await api.vm.migrateCheck.query({ vmId, targetHostId: target.id });
  const cpu = refused?.checks.find((c) => c.id === 'cpu');
  assert.equal(cpu?.ok, false, JSON.stringify(refused?.checks));
  assert.match(cpu?.reason ?? '', /cannot offer the cluster's baseline CPU model EPYC/);
  assert.equal(refused?.ok, false);
  const migrate = await rejection(api.vm.migrate.mutate({ vmId, targetHostId: target.id }));
  assert.match(migrate.message, /baseline CPU model EPYC/);
  // A model the lab's QEMU offers passes, and the VM (no <cpu>: QEMU's default model) is fine anywhere.
  await api.inventory.setClusterSettings.mutate({ clusterId, settings: { cpuBaseline: 'qemu64' } });
  const [passed] = await api.vm.migrateCheck.query({ vmId, targetHostId: target.id });
  const ok = passed?.checks.find((c) => c.id === 'cpu');
  assert.equal(ok?.ok, true, ok?.reason);
  assert.equal(passed?.ok, true, JSON.stringify(passed?.checks.filter((c) => !c.ok)));
  await api.inventory.setClusterSettings.mutate({ clusterId, settings: { cpuBaseline: saved.cpuBaseline ?? '' } });
});

test('a stopped VM left on a host in maintenance cannot be started or cloned there', async () => {
  const { vmId, uuid, name } = await vmOnA('mntstop', false);
  // Force: the host is in maintenance at once, with the VM left on it.
  const forced = await api.host.enterMaintenance.mutate({ hostId: hostAId, force: true });
  assert.equal(forced.state, 'maintenance');
  const start = await rejection(api.vm.start.mutate({ vmId }));
  assert.equal(start.code, 'INVALID_STATE');
  assert.match(start.message, new RegExp(`Cannot start VM ${name}: host ${hostA.name} is in maintenance`));
  const paused = await rejection(api.vm.startPaused.mutate({ vmId }));
  assert.match(paused.message, /is in maintenance/);
  const clone = await rejection(api.vm.clone.mutate({ vmId, name: uniqueName('mntclone') }));
  assert.match(clone.message, /is in maintenance/);
  assert.equal(await domState(hostA, uuid), 'shut off', 'libvirt kept it stopped');

  // Out of maintenance the same start works: the refusal was the maintenance guard's.
  await api.host.exitMaintenance.mutate({ hostId: hostAId });
  const task = await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId, 60_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  assert.equal(await domState(hostA, uuid), 'running');
});

test('cancelling while entering stops after the migration in flight; the host returns to normal', async () => {
  // One move at a time, so there is a migration in flight and VMs still waiting when we cancel.
  await api.inventory.setClusterSettings.mutate({ clusterId, settings: { migrationParallelPerHost: 1 } });
  const onA = [];
  for (let i = 1; i <= 3; i++) onA.push(await vmOnA(`mntc${i}`));

  const { taskId } = await api.host.enterMaintenance.mutate({ hostId: hostAId });
  assert.ok(taskId);
  const moving = await waitFor(
    'a VM being moved',
    async () => (await api.host.maintenance.query({ hostId: hostAId })).items.find((i) => i.status === 'moving'),
    60_000,
    200,
  );
  assert.equal(await maintenanceOf(hostAId), 'entering');
  const cancelled = await api.host.cancelMaintenance.mutate({ hostId: hostAId });
  assert.equal(cancelled.state, 'entering', 'the job ends it after the migration in flight');

  const job = await waitTask(api, taskId, 120_000);
  assert.equal(job.state, 'failed');
  assert.equal(job.errorCode, 'CANCELLED');
  assert.match(job.errorMessage ?? '', /cancelled/);
  assert.equal(await maintenanceOf(hostAId), 'none', 'the host is back in normal use');

  // The migration in flight was not aborted: it finished, and that VM runs on its new host.
  assert.ok(moving.taskId, 'the move has its task');
  const migration = await waitTask(api, moving.taskId, 120_000);
  assert.equal(migration.state, 'succeeded', migration.errorMessage ?? '');
  // The job takes the host's VMs in its own order: the one in flight may be any VM on host A.
  const movedVm = await api.vm.byId.query({ vmId: moving.vmId });
  const where = await hostOfDomain(movedVm.uuid);
  assert.ok(where && where.name !== hostA.name, `${movedVm.name} runs on another host`);
  assert.equal(await domState(where, movedVm.uuid), 'running');

  // The others were not moved: still running on host A, reported as cancelled.
  const status = await api.host.maintenance.query({ hostId: hostAId });
  const stayed = onA.filter((v) => v.vmId !== moving.vmId);
  assert.ok(stayed.length >= 1);
  let cancelledItems = 0;
  for (const v of stayed) {
    const item = status.items.find((i) => i.vmId === v.vmId);
    if (item?.status === 'cancelled') {
      cancelledItems += 1;
      assert.equal((await hostOfDomain(v.uuid))?.name, hostA.name, `${v.name} stayed on ${hostA.name}`);
      assert.equal(await domState(hostA, v.uuid), 'running');
    }
  }
  assert.ok(cancelledItems >= 1, `at least one VM was left unmoved: ${JSON.stringify(status.items)}`);

  // Normal use: migration to host A is allowed again.
  const [check] = await api.vm.migrateCheck.query({ vmId: movedVm.id, targetHostId: hostAId });
  assert.equal(check?.checks.find((c) => c.id === 'maintenance')?.ok, true);
});
