/**
 * Maintenance mode on the 3-host lab, proved from libvirt:
 * - three running VMs on one host; entering maintenance moves them all by live migration: libvirt
 *   runs none there any more and runs each on another host, and Vireo agrees; new VMs are placed
 *   elsewhere (the decision says why), a migration to the host is refused; after exit the
 *   placement engine takes the host again;
 * - a VM a hard VM-to-host affinity rule keeps on the host blocks: the host stays entering, the
 *   job says why and what the admin can do; force then marks it in maintenance with the VM left
 *   running there; "stop those VMs" stops it, and as it cannot move stopped either it stays,
 *   stopped, and the host reaches maintenance.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  type Api,
  admin,
  createTestVm,
  defaultTemplate,
  rejection,
  removeVms,
  uniqueName,
  waitTask,
} from '../support/api.ts';
import { domState, hostOfDomain, type LabHost, lab, virsh } from '../support/lab.ts';

let api: Api;
const made: string[] = [];
let groupId: string | null = null;
let hostA: LabHost;
let hostAId: string;

before(async () => {
  ({ api } = await admin());
  const first = lab().hosts[0];
  assert.ok(first, 'the lab has hosts');
  hostA = first;
  const known = (await api.host.list.query()).find((h) => h.name === hostA.name);
  assert.ok(known, `host ${hostA.name} is known to the manager`);
  hostAId = known.id;
});

after(async () => {
  if (groupId) await api.affinity.delete.mutate({ groupId }).catch(() => {});
  await api.host.exitMaintenance.mutate({ hostId: hostAId }).catch(() => {});
  await removeVms(api, made);
});

/** A running VM on host A (created wherever placement puts it, then migrated there if need be). */
async function runningOnA(prefix: string): Promise<{ vmId: string; uuid: string; name: string }> {
  const { vmId, vm } = await createTestVm(api, prefix);
  made.push(vmId);
  if (vm.hostId !== hostAId) {
    const { taskId } = await api.vm.migrate.mutate({ vmId, targetHostId: hostAId });
    const task = await waitTask(api, taskId, 120_000);
    assert.equal(task.state, 'succeeded', `moving ${vm.name} to ${hostA.name}: ${task.errorMessage}`);
  }
  assert.equal((await hostOfDomain(vm.uuid))?.name, hostA.name, `${vm.name} runs on ${hostA.name}`);
  return { vmId, uuid: vm.uuid, name: vm.name };
}

async function maintenanceOf(hostId: string): Promise<string | undefined> {
  return (await api.host.list.query()).find((h) => h.id === hostId)?.maintenance;
}

async function runningUuids(host: LabHost): Promise<string[]> {
  const out = await virsh(host, 'list', '--uuid');
  return out.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

test('entering maintenance empties the host in libvirt, placement keeps off it until exit', async () => {
  const vmsOnA = [];
  for (let i = 1; i <= 3; i++) vmsOnA.push(await runningOnA(`mnt${i}`));

  // The dry run names a target (another host) for each.
  const plan = await api.host.maintenancePlan.query({ hostId: hostAId });
  for (const v of vmsOnA) {
    const item = plan.find((p) => p.vmId === v.vmId);
    assert.equal(item?.action, 'live', `${v.name}: ${item?.reason}`);
    assert.ok(item?.target && item.target.id !== hostAId, `${v.name} has a target other than ${hostA.name}`);
  }

  const { taskId } = await api.host.enterMaintenance.mutate({ hostId: hostAId });
  assert.ok(taskId, 'entering runs as a task');
  const task = await waitTask(api, taskId, 240_000);
  assert.equal(task.state, 'succeeded', `maintenance job: ${task.errorCode} ${task.errorMessage}`);
  assert.equal(await maintenanceOf(hostAId), 'maintenance');

  // libvirt: nothing runs on A, and each VM runs on another host.
  assert.deepEqual(await runningUuids(hostA), [], `no domain runs on ${hostA.name}`);
  const hostIds = new Map((await api.host.list.query()).map((h) => [h.name, h.id]));
  for (const v of vmsOnA) {
    const where = await hostOfDomain(v.uuid);
    assert.ok(where && where.name !== hostA.name, `${v.name} is on another host in libvirt`);
    assert.equal(await domState(where, v.uuid), 'running', `${v.name} runs on ${where.name}`);
    // Vireo agrees with libvirt.
    const vm = await api.vm.byId.query({ vmId: v.vmId });
    assert.equal(vm.hostId, hostIds.get(where.name), `Vireo has ${v.name} on ${where.name}`);
    assert.equal(vm.state, 'running');
  }
  const status = await api.host.maintenance.query({ hostId: hostAId });
  assert.equal(status.state, 'maintenance');
  assert.deepEqual(
    status.items.map((i) => i.status),
    ['moved', 'moved', 'moved'],
    JSON.stringify(status.items),
  );
  assert.deepEqual(status.vmsOnHost, []);

  // New VMs are never placed on A, and the decision says why.
  const template = await defaultTemplate(api);
  for (let i = 1; i <= 2; i++) {
    const { taskId: createId, vmId } = await api.vm.create.mutate({
      name: uniqueName(`mntnew${i}`),
      templateId: template.id,
      vcpus: 1,
      memoryMiB: 128,
      start: false,
    });
    made.push(vmId);
    assert.equal((await waitTask(api, createId)).state, 'succeeded');
    assert.notEqual((await api.vm.byId.query({ vmId })).hostId, hostAId, 'a new VM does not land on the host');
    const why = await api.placement.forVm.query({ vmId });
    assert.equal(why?.hosts.find((h) => h.hostId === hostAId)?.excluded?.filter, 'maintenance');
  }
  // A migration to it is refused with the reason.
  const first = vmsOnA[0];
  assert.ok(first);
  const refused = await rejection(api.vm.migrate.mutate({ vmId: first.vmId, targetHostId: hostAId }));
  assert.match(refused.message, new RegExp(`host ${hostA.name} is in maintenance`));

  // Exit: the placement engine takes the host again.
  assert.equal((await api.host.exitMaintenance.mutate({ hostId: hostAId })).state, 'none');
  assert.equal(await maintenanceOf(hostAId), 'none');
  const { taskId: againId, vmId: again } = await api.vm.create.mutate({
    name: uniqueName('mntback'),
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
  });
  made.push(again);
  assert.equal((await waitTask(api, againId)).state, 'succeeded');
  const back = (await api.placement.forVm.query({ vmId: again }))?.hosts.find((h) => h.hostId === hostAId);
  assert.ok(back && back.excluded === null && back.score, `the host is a candidate again: ${JSON.stringify(back)}`);
});

test('a VM pinned to the host by a hard affinity rule blocks maintenance with its reason; force leaves it running, stop leaves it stopped', async () => {
  const pinned = await runningOnA('mntpin');
  const group = await api.affinity.create.mutate({ name: uniqueName('pin'), kind: 'affinity', hard: true });
  groupId = group.id;
  await api.affinity.addVms.mutate({ groupId: group.id, vmIds: [pinned.vmId] });
  await api.affinity.setHosts.mutate({ groupId: group.id, hostIds: [hostAId] });

  const plan = await api.host.maintenancePlan.query({ hostId: hostAId });
  const planned = plan.find((p) => p.vmId === pinned.vmId);
  assert.equal(planned?.action, 'blocked');
  assert.match(planned?.reason ?? '', new RegExp(`affinity group ${group.name}: its VMs go only to ${hostA.name}`));

  const { taskId } = await api.host.enterMaintenance.mutate({ hostId: hostAId });
  assert.ok(taskId);
  const task = await waitTask(api, taskId, 120_000);
  assert.equal(task.state, 'failed', 'the job cannot finish');
  assert.match(task.errorMessage ?? '', new RegExp(`${pinned.name}: no host can take it`));
  assert.match(task.errorMessage ?? '', /retry .* stop those VMs .* force maintenance/);
  assert.equal(await maintenanceOf(hostAId), 'entering', 'the host stays entering');
  const status = await api.host.maintenance.query({ hostId: hostAId });
  const item = status.items.find((i) => i.vmId === pinned.vmId);
  assert.equal(item?.status, 'blocked');
  assert.match(item?.reason ?? '', new RegExp(`affinity group ${group.name}`));
  assert.equal(await domState(hostA, pinned.uuid), 'running', 'the pinned VM still runs on the host');

  // Force: in maintenance, the VM left running there.
  const forced = await api.host.enterMaintenance.mutate({ hostId: hostAId, force: true });
  assert.equal(forced.state, 'maintenance');
  assert.equal(await maintenanceOf(hostAId), 'maintenance');
  assert.equal(await domState(hostA, pinned.uuid), 'running', 'force leaves the VM running where it is');
  assert.equal((await api.host.exitMaintenance.mutate({ hostId: hostAId })).state, 'none');

  // Stop those VMs: the pinned VM is stopped; moving it stopped is refused by the same rule, so it
  // stays on the host, stopped, and nothing runs there any more: maintenance.
  const stop = await api.host.enterMaintenance.mutate({ hostId: hostAId, stopBlocked: true });
  assert.ok(stop.taskId);
  const stopTask = await waitTask(api, stop.taskId, 150_000);
  assert.equal(stopTask.state, 'succeeded', `${stopTask.errorCode} ${stopTask.errorMessage}`);
  assert.match(stopTask.message ?? '', /1 stopped VM\(s\) stay on it/);
  assert.equal(await maintenanceOf(hostAId), 'maintenance');
  assert.equal(await domState(hostA, pinned.uuid), 'shut off', 'libvirt has the VM stopped on the host');
  assert.deepEqual(await runningUuids(hostA), [], `no domain runs on ${hostA.name}`);
  const left = (await api.host.maintenance.query({ hostId: hostAId })).items.find((i) => i.vmId === pinned.vmId);
  assert.equal(left?.status, 'left');
  assert.match(left?.reason ?? '', new RegExp(`stays here, stopped: .*affinity group ${group.name}`));
  assert.equal((await api.host.exitMaintenance.mutate({ hostId: hostAId })).state, 'none');
});
