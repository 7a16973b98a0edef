/**
 * A VM's uptime on a real lab guest: Vireo records when the domain's QEMU process started, as the
 * host's own process table tells it (checked here with `ps` in the lab host); a reboot keeps the
 * process and the time, a stop clears it, a new start gives a new one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { admin, type Api, createTestVm, removeVms, waitTask } from '../support/api.ts';
import { serialText } from '../support/guest-serial.ts';
import { hostOfDomain, inHost, type LabHost, waitFor } from '../support/lab.ts';

let api: Api;
const made: string[] = [];

before(async () => {
  ({ api } = await admin());
});

after(async () => {
  await removeVms(api, made);
});

/** When the domain's QEMU started, by `ps` in its host (whole seconds). */
async function qemuStartByPs(host: LabHost, name: string): Promise<number> {
  const pid = (await inHost(host, ['cat', `/run/libvirt/qemu/${name}.pid`])).stdout.trim();
  assert.match(pid, /^\d+$/, 'libvirt wrote the QEMU pid file');
  const elapsed = Number((await inHost(host, ['ps', '-o', 'etimes=', '-p', pid])).stdout.trim());
  assert.ok(Number.isFinite(elapsed), 'ps shows the process');
  return Date.now() - elapsed * 1000;
}

const startedAt = async (vmId: string) => (await api.vm.byId.query({ vmId })).startedAt;
const readyCount = (uuid: string, name: string) => serialText(uuid).split(`VIREO GUEST ${name} READY`).length - 1;

test('uptime: the QEMU start time is recorded on start, kept by a reboot, cleared by a stop, new on the next start', async () => {
  const { vmId, vm } = await createTestVm(api, 'uptime');
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');

  const first = await waitFor('startedAt recorded', () => startedAt(vmId), 5_000, 200);
  const byPs = await qemuStartByPs(host, vm.name);
  // ps counts whole seconds of elapsed time: within 2 s of the time Vireo recorded.
  assert.ok(Math.abs(Date.parse(first) - byPs) < 2_000, `Vireo ${first}, ps ${new Date(byPs).toISOString()}`);
  assert.ok(Date.parse(first) <= Date.now());

  // An ACPI reboot restarts the guest inside the same QEMU process: the uptime goes on.
  await waitFor('READY', async () => readyCount(vm.uuid, vm.name) >= 1, 90_000, 250);
  const rebooted = await waitTask(api, (await api.vm.reboot.mutate({ vmId })).taskId, 120_000);
  assert.equal(rebooted.state, 'succeeded', rebooted.errorMessage ?? '');
  await waitFor('second READY', async () => readyCount(vm.uuid, vm.name) >= 2, 90_000, 250);
  assert.equal(await startedAt(vmId), first, 'a reboot keeps the QEMU process and its start time');

  const off = await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
  assert.equal(off.state, 'succeeded');
  await waitFor('startedAt cleared', async () => (await startedAt(vmId)) === null, 5_000, 200);

  const on = await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId);
  assert.equal(on.state, 'succeeded', on.errorMessage ?? '');
  const second = await waitFor('a new startedAt', () => startedAt(vmId), 5_000, 200);
  assert.ok(Date.parse(second) > Date.parse(first), `${second} after ${first}`);
  assert.ok(Math.abs(Date.parse(second) - (await qemuStartByPs(host, vm.name))) < 2_000);
});
