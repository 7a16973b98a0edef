/**
 * Every lifecycle verb on a real lab guest, checked through libvirt (virsh domstate/dominfo inside
 * the lab host, the managed save file on the host) and the guest's own serial line: a reboot and
 * a reset each make the guest print READY once more. One guest is shared by the verbs; a second
 * one, with a pool volume, shows a delete that keeps its disks.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Api, admin, createTestVm, defaultTemplate, uniqueName, waitTask, removeVms } from '../support/api.ts';
import { ensureDefaultPool, poolVolumes } from '../support/hardware-fixtures.ts';
import { type LabHost, domState, hostOfDomain, inHost, lab, virsh, waitFor } from '../support/lab.ts';

let api: Api;
const made: string[] = [];

before(async () => {
  ({ api } = await admin());
  for (const host of lab().hosts) await ensureDefaultPool(host);
});

after(async () => {
  await removeVms(api, made);
});

const serialLog = (uuid: string) => `${lab().sharedDir}/vms/${uuid}.serial.log`;
/** How many times the guest has printed its READY banner since its QEMU process started. */
const readyCount = (uuid: string, name: string) =>
  existsSync(serialLog(uuid)) ? readFileSync(serialLog(uuid), 'utf8').split(`VIREO GUEST ${name} READY`).length - 1 : 0;
const readyTimes = (uuid: string, name: string, n: number) =>
  waitFor(`READY ${n} time(s) on ${name}'s serial line`, async () => readyCount(uuid, name) >= n, 90_000, 250);

/** The guest's last heartbeat counter (ALIVE <n>s, every 10 s), or null before the first. */
function aliveSeconds(uuid: string): number | null {
  if (!existsSync(serialLog(uuid))) return null;
  const ticks = [...readFileSync(serialLog(uuid), 'utf8').matchAll(/ALIVE (\d+)s/g)].map((m) => Number(m[1]));
  return ticks.length > 0 ? Math.max(...ticks) : null;
}

/** `virsh domstate --reason`, e.g. "paused (user)". */
async function stateWithReason(host: LabHost, uuid: string): Promise<string> {
  return (await virsh(host, 'domstate', '--reason', uuid)).stdout.trim();
}

async function verb(
  name: 'reboot' | 'reset' | 'pause' | 'resume' | 'save' | 'startPaused' | 'start' | 'forceOff',
  vmId: string,
) {
  const task = await waitTask(api, (await api.vm[name].mutate({ vmId })).taskId, 120_000);
  assert.equal(task.state, 'succeeded', `${name}: ${task.errorMessage ?? ''}`);
  return api.vm.byId.query({ vmId });
}

test('reboot, reset, pause/resume, save to disk and restore, start paused, on a real guest', async () => {
  const { vmId, vm } = await createTestVm(api, 'verbs');
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');
  await readyTimes(vm.uuid, vm.name, 1);

  // Reboot (ACPI): the guest powers off on the button and libvirt starts it again in the same
  // QEMU process, so the serial log goes on and shows a second boot.
  assert.equal((await verb('reboot', vmId)).state, 'running');
  await readyTimes(vm.uuid, vm.name, 2);
  assert.equal(await domState(host, vm.uuid), 'running');

  // Reset: no guest cooperation, a third boot.
  await verb('reset', vmId);
  await readyTimes(vm.uuid, vm.name, 3);
  assert.equal(await domState(host, vm.uuid), 'running');

  let now = await verb('pause', vmId);
  assert.equal(now.state, 'paused');
  assert.equal(await stateWithReason(host, vm.uuid), 'paused (user)');
  const frozen = readFileSync(serialLog(vm.uuid), 'utf8').length;
  now = await verb('resume', vmId);
  assert.equal(now.state, 'running');
  assert.equal(await domState(host, vm.uuid), 'running');
  // A paused guest's ALIVE ticks stop; once resumed they go on.
  await waitFor(
    'the guest writing again after resume',
    async () => readFileSync(serialLog(vm.uuid), 'utf8').length > frozen,
    60_000,
    250,
  );

  // Suspend to disk: libvirt's managed save. Shut off with reason "saved", the image on the host.
  const lastAlive = await waitFor('an ALIVE tick before saving', async () => aliveSeconds(vm.uuid), 60_000, 250);
  now = await verb('save', vmId);
  assert.equal(now.state, 'shutoff');
  assert.equal(now.stateReason, 'saved', 'Vireo shows the VM as saved, not just off');
  assert.equal(await stateWithReason(host, vm.uuid), 'shut off (saved)');
  assert.match((await virsh(host, 'dominfo', vm.uuid)).stdout, /Managed save:\s+yes/);
  const saveFile = `/var/lib/libvirt/qemu/save/${vm.name}.save`;
  assert.equal((await inHost(host, ['test', '-s', saveFile])).code, 0, `${saveFile} exists on the host`);

  // Start restores it: running (restored), the save image consumed, and the guest's heartbeat
  // counter goes on from where it was (a fresh QEMU truncates the log; a boot would restart at 10 s).
  now = await verb('start', vmId);
  assert.equal(now.state, 'running');
  assert.equal(await stateWithReason(host, vm.uuid), 'running (restored)');
  assert.match((await virsh(host, 'dominfo', vm.uuid)).stdout, /Managed save:\s+no/);
  const resumedAt = await waitFor('an ALIVE tick after the restore', async () => aliveSeconds(vm.uuid), 60_000, 250);
  assert.ok(resumedAt > lastAlive, `the heartbeat continues (${lastAlive}s, then ${resumedAt}s)`);
  assert.equal(readyCount(vm.uuid, vm.name), 0, 'a restore is not a boot');

  // Start paused: QEMU runs, the vCPUs do not.
  await verb('forceOff', vmId);
  now = await verb('startPaused', vmId);
  assert.equal(now.state, 'paused');
  assert.equal(await domState(host, vm.uuid), 'paused');
  now = await verb('resume', vmId);
  assert.equal(await domState(host, vm.uuid), 'running');
  await readyTimes(vm.uuid, vm.name, 1);

  // Verbs the state does not allow are refused up front, nothing changed.
  await verb('forceOff', vmId);
  await assert.rejects(api.vm.pause.mutate({ vmId }), /Cannot pause/);
  assert.equal(await domState(host, vm.uuid), 'shut off');
});

test('delete without its disks keeps the pool volume; the plan lists what goes and what stays', async () => {
  const template = await defaultTemplate(api);
  const name = uniqueName('keep');
  const { taskId, vmId } = await api.vm.create.mutate({
    name,
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
    disks: [{ bus: 'virtio', source: { kind: 'blank', sizeBytes: 16 * 1024 * 1024 } }],
  });
  made.push(vmId);
  const created = await waitTask(api, taskId, 120_000);
  assert.equal(created.state, 'succeeded', created.errorMessage ?? '');
  const vm = await api.vm.byId.query({ vmId });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  const volume = `${vm.uuid}-disk1.qcow2`;
  assert.ok((await poolVolumes(host)).includes(volume));

  const plan = await api.vm.deletePlan.query({ vmId });
  assert.deepEqual(
    plan.disks.map((d) => d.label),
    [`Volume default/${volume}`],
  );
  assert.ok(
    plan.goes.some((g) => g.kind === 'overlay'),
    'the template overlay goes',
  );
  assert.ok(
    plan.stays.some((s) => s.kind === 'base' && s.label.includes(template.name)),
    'the template stays',
  );

  const del = await waitTask(api, (await api.vm.delete.mutate({ vmId, keepDisks: true })).taskId);
  assert.equal(del.state, 'succeeded', del.errorMessage ?? '');
  assert.equal(await domState(host, vm.uuid), null, 'the domain is gone');
  assert.ok(!existsSync(`${lab().sharedDir}/vms/${vm.uuid}.qcow2`), 'the overlay went');
  assert.ok((await poolVolumes(host)).includes(volume), 'the pool volume stayed');
  await virsh(host, 'vol-delete', '--pool', 'default', volume);
});
