/**
 * VM leases on the real lab (issue 10), with the manager's test clock (tests/support/projects.ts):
 * a VM in a project with a lease policy (default 7 days, at most 14, reminded 2 days before,
 * deleted 1 day after expiry) can be extended within the policy and is refused beyond it; as the
 * clock passes the reminder time the owner gets one reminder event; at expiry the lease sweep
 * stops the VM (libvirt shows it shut off) in a "Lease expired" task; after the grace period it
 * is deleted through the normal delete path (libvirt no longer has the domain, its disk volume
 * is gone from the pool).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Api, admin, defaultTemplate, rejection, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { ensureHardwareFixtures, poolVolumes } from '../support/hardware-fixtures.ts';
import { domState, hostOfDomain, type LabHost, waitFor } from '../support/lab.ts';
import { closeProjectsDb, ensureProject, putInProject, resetTestClock, setTestClock } from '../support/projects.ts';

const DAY = 86_400_000;
const MIB = 1024 * 1024;
let api: Api;
let vmId: string;
let uuid: string;
let name: string;
let host: LabHost;
let volume: string;

before(async () => {
  ({ api } = await admin());
  resetTestClock();
  await ensureHardwareFixtures();
  const projectId = await ensureProject(uniqueName('leased'));
  await api.showback.setLeasePolicy.mutate({ projectId, defaultDays: 7, maxDays: 14, graceDays: 1, reminderDays: 2 });
  const template = await defaultTemplate(api);
  name = uniqueName('lease');
  const created = await api.vm.create.mutate({
    name,
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: true,
    disks: [{ bus: 'virtio', format: 'qcow2', source: { kind: 'blank', sizeBytes: 64 * MIB } }],
  });
  vmId = created.vmId;
  const task = await waitTask(api, created.taskId, 120_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  await putInProject(vmId, projectId);
  uuid = (await api.vm.byId.query({ vmId })).uuid;
  const h = await hostOfDomain(uuid);
  assert.ok(h, 'the VM is defined on a lab host');
  host = h;
  const hw = await api.vm.hardware.query({ vmId });
  volume = hw.disks.find((d) => d.device === 'disk' && d.owned && d.volume)?.volume ?? '';
  assert.ok(volume, 'the VM has its own disk volume');
  assert.ok((await poolVolumes(host)).includes(volume), 'its volume is in the pool');
});

after(async () => {
  resetTestClock();
  await removeVms(api, [vmId]);
  await closeProjectsDb();
});

test('extend within the policy; beyond now + maxDays is refused, saying until when', async () => {
  const set = await api.vm.setLease.mutate({ vmId, expiresAt: new Date(Date.now() + 7 * DAY) });
  assert.equal(set.policy?.maxDays, 14);
  const extended = await api.vm.extendLease.mutate({ vmId, days: 5 });
  const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : Number.NaN);
  assert.equal(ms(extended.expiresAt), ms(set.expiresAt) + 5 * DAY, 'extended by 5 days');
  const refused = await rejection(api.vm.extendLease.mutate({ vmId, days: 5 }));
  assert.equal(refused.code, 'FORBIDDEN');
  assert.match(refused.message, /at most 14 days from now/);
  const tooFar = await rejection(api.vm.setLease.mutate({ vmId, expiresAt: new Date(Date.now() + 15 * DAY) }));
  assert.equal(tooFar.code, 'FORBIDDEN');
  assert.equal((await api.vm.lease.query({ vmId })).expiresAt, extended.expiresAt, 'unchanged');
});

test('reminded once before expiry, stopped at expiry, deleted with its disk after the grace period', async () => {
  const expiresAt = new Date(Date.now() + 3 * DAY);
  await api.vm.setLease.mutate({ vmId, expiresAt });
  assert.equal(await domState(host, uuid), 'running');
  const events = async (kind: string) => (await api.event.listForVm.query({ vmId })).filter((e) => e.kind === kind);

  // 1.5 days before expiry: within the 2-day reminder period.
  setTestClock(new Date(expiresAt.getTime() - 1.5 * DAY));
  const [reminder] = await waitFor(
    'the lease reminder',
    async () => (await events('vm.leaseReminder')).length > 0 && events('vm.leaseReminder'),
    20_000,
    250,
  );
  assert.match(reminder?.message ?? '', /Extend the lease/);
  await new Promise((r) => setTimeout(r, 5000)); // two more sweeps: still one reminder
  assert.equal((await events('vm.leaseReminder')).length, 1, 'reminded once');
  assert.equal(await domState(host, uuid), 'running', 'not stopped before expiry');

  // Expired: stopped (ACPI, then power-off), recorded as a task and an event.
  setTestClock(new Date(expiresAt.getTime() + 60_000));
  await waitFor('libvirt shows it shut off', async () => (await domState(host, uuid)) === 'shut off', 90_000, 500);
  const started = (await api.task.listForVm.query({ vmId })).find((t) => t.kind === 'vm.leaseExpired');
  assert.ok(started, 'a "lease expired" task');
  // libvirt reports the guest off a moment before the task records it.
  const task = await waitTask(api, started.id);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  assert.match(task.message ?? '', /Lease expired/);
  // The sweep records the event once it has seen its task end (it polls the task).
  await waitFor('the "lease expired" event', async () => (await events('vm.leaseExpired')).length > 0, 10_000, 250);
  assert.equal((await events('vm.leaseExpired')).length, 1);
  assert.equal((await api.vm.byId.query({ vmId })).state, 'shutoff');
  assert.ok(await domState(host, uuid), 'still defined in the grace period');
  const restart = await rejection(api.vm.start.mutate({ vmId }));
  assert.equal(restart.code, 'INVALID_STATE', 'an expired VM starts only once its lease is extended');
  assert.match(restart.message, /extend the lease/);

  // After the 1-day grace period: deleted through the normal delete path.
  setTestClock(new Date(expiresAt.getTime() + DAY + 60_000));
  const gone = () =>
    api.vm.byId.query({ vmId }).then(
      () => false,
      () => true,
    );
  await waitFor('the VM gone', gone, 90_000, 500);
  assert.equal((await rejection(api.vm.byId.query({ vmId }))).code, 'NOT_FOUND');
  assert.equal(await domState(host, uuid), null, 'libvirt no longer has the domain');
  assert.ok(!(await poolVolumes(host)).includes(volume), 'its disk volume is gone from the pool');
  const log = await api.event.list.query();
  assert.ok(
    log.some((e) => e.kind === 'vm.leaseDeleted' && e.message.includes(name)),
    'the deletion is recorded',
  );
  assert.ok(
    log.some((e) => e.kind === 'vm.deleted' && e.message.includes(name)),
    'by the normal delete path',
  );
});
