/**
 * Removing a host that has VMs (issue 8): never silently.
 * - Online with a VM: refused; "Evacuate and remove" moves the VM away (maintenance), then the
 *   emptied host goes; the VM runs on another host.
 * - Offline with a VM: refused, naming the VM; with force the host goes, the VM's record stays
 *   without a host (state unknown) and its domain on the machine is left running, as the
 *   confirmation and the event say; re-enrolled, the host reports it and the VM can be adopted.
 * Each removed lab host is enrolled again afterwards (fresh credential), so the lab is whole.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type Api, admin, createTestVm, rejection, removeVms, waitTask } from '../support/api.ts';
import { domState, hostOfDomain, type LabHost, labHostsAllOnline, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);
const stackCtl = (...args: string[]) => exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 60_000 });
let api: Api;
const made: string[] = [];

before(async () => {
  ({ api } = await admin());
});

after(async () => {
  await removeVms(api, made);
});

/** The lab host enrolled again as a new host (its credential died with the removed one). */
async function reEnroll(host: LabHost): Promise<string> {
  await stackCtl('stop-agent', host.name);
  rmSync(join(process.env.VIREO_TEST_STACK_DIR ?? '', 'agents', host.name, 'credential.json'), { force: true });
  await stackCtl('start-agents');
  await waitFor('the host enrolled again', async () => labHostsAllOnline(await api.host.list.query()), 60_000, 250);
  const back = (await api.host.list.query()).find((h) => h.name === host.name);
  assert.ok(back);
  return back.id;
}

test('online with a VM: refused; evacuate and remove moves the VM away, then the host goes', async () => {
  const { vmId, vm } = await createTestVm(api, 'evac');
  made.push(vmId);
  const labHost = await hostOfDomain(vm.uuid);
  assert.ok(labHost && vm.hostId);
  const refused = await rejection(api.host.remove.mutate({ hostId: vm.hostId }));
  assert.equal(refused.code, 'INVALID_STATE');
  assert.match(refused.message, /Evacuate it/);
  const plan = await api.host.removalPlan.query({ hostId: vm.hostId });
  assert.ok(
    plan.vms.some((v) => v.name === vm.name),
    'the plan lists the VM',
  );
  assert.equal(plan.canForce, false, 'no force for an online host');

  const { taskId } = await api.host.evacuateAndRemove.mutate({ hostId: vm.hostId });
  const task = await waitTask(api, taskId, 180_000);
  assert.equal(task.state, 'succeeded', `${task.errorCode} ${task.errorMessage}`);
  assert.ok(!(await api.host.list.query()).some((h) => h.id === vm.hostId), 'the host is gone');
  const moved = await api.vm.byId.query({ vmId });
  assert.equal(moved.state, 'running');
  assert.notEqual(moved.hostName, labHost.name);
  assert.equal(await domState(labHost, vm.uuid), null, 'nothing left on the removed host');
  await reEnroll(labHost);
});

test('offline with a VM: refused naming it; with force the record is orphaned and the domain left running', async () => {
  const { vmId, vm } = await createTestVm(api, 'orph');
  made.push(vmId);
  const labHost = await hostOfDomain(vm.uuid);
  assert.ok(labHost && vm.hostId);
  const hostId = vm.hostId;
  await stackCtl('stop-agent', labHost.name);
  await waitFor(
    'the host offline',
    async () => (await api.host.list.query()).some((h) => h.id === hostId && h.status === 'offline'),
    30_000,
    250,
  );
  const refused = await rejection(api.host.remove.mutate({ hostId }));
  assert.equal(refused.code, 'CONFLICT');
  assert.match(refused.message, new RegExp(`${vm.name}.*with force`));
  const plan = await api.host.removalPlan.query({ hostId });
  assert.equal(plan.canForce, true);
  assert.match(plan.forceEffect, /not touched/);

  const { orphaned } = await api.host.remove.mutate({ hostId, force: true });
  assert.deepEqual(
    orphaned.map((v) => v.id),
    [vmId],
  );
  assert.ok(!(await api.host.list.query()).some((h) => h.id === hostId));
  const record = await api.vm.byId.query({ vmId });
  assert.equal(record.hostId, null);
  assert.equal(record.state, 'unknown');
  assert.equal(await domState(labHost, vm.uuid), 'running', 'the domain on the machine is untouched');
  const event = (await api.event.list.query()).find((e) => e.kind === 'host.removed' && e.message.includes(vm.name));
  assert.ok(event, 'the event names the VM');
  assert.match(event.message, /not touched/);

  // Back in the inventory, the host reports the domain; the orphan is adopted there.
  const newId = await reEnroll(labHost);
  await waitFor(
    'the orphan adopted',
    async () => {
      await api.vm.adopt.mutate({ vmId, hostId: newId }).catch(() => undefined);
      return (await api.vm.byId.query({ vmId })).hostId === newId;
    },
    30_000,
    500,
  );
  assert.equal((await api.vm.byId.query({ vmId })).state, 'running');
});
