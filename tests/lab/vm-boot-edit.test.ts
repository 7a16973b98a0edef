/**
 * Firmware and boot order of a stopped VM on a real lab host, one VM throughout: the per-device
 * order lands in libvirt's definition (`<boot order='N'/>` in the devices, no `<os><boot dev>`)
 * and the guest still boots to its shell; then UEFI, after memory was raised to OVMF's minimum.
 * Refusals (a device the VM lacks, UEFI with too little memory, a running VM) change neither
 * libvirt's definition nor Vireo's rows.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { admin, type Api, defaultTemplate, rejection, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { guestRun, serialText } from '../support/guest-serial.ts';
import { ensureHardwareFixtures, TEST_NETWORKS } from '../support/hardware-fixtures.ts';
import { hostOfDomain, type LabHost, virsh, waitFor } from '../support/lab.ts';

const MIB = 1024 ** 2;
let api: Api;
const made: string[] = [];

before(async () => {
  await ensureHardwareFixtures();
  ({ api } = await admin());
});

after(async () => {
  await removeVms(api, made);
});

const inactiveXml = async (host: LabHost, uuid: string) => (await virsh(host, 'dumpxml', '--inactive', uuid)).stdout;

/** The `<boot order>` of the disk with this target and of the NIC with this MAC, from libvirt's XML. */
function bootOrders(xml: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of xml.matchAll(/<(disk|interface)\b[\s\S]*?<\/\1>/g)) {
    const order = /<boot order='(\d+)'\/>/.exec(m[0])?.[1];
    const id = /<target dev='(\w+)'/.exec(m[0])?.[1] ?? /<mac address='([\w:]+)'\/>/.exec(m[0])?.[1];
    if (order && id) out[id] = Number(order);
  }
  return out;
}

async function bootsToShell(host: LabHost, vmId: string, uuid: string, name: string): Promise<void> {
  const started = await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId);
  assert.equal(started.state, 'succeeded', started.errorMessage ?? '');
  await waitFor('READY', async () => serialText(uuid).includes(`VIREO GUEST ${name} READY`), 120_000, 250);
  assert.equal((await guestRun(host, uuid, 'echo shell-$((6*7))')).trim(), 'shell-42');
}

test('boot order and firmware of a stopped VM: in libvirt, the guest boots, refusals change nothing', async () => {
  const template = await defaultTemplate(api);
  assert.ok(template);
  const name = uniqueName('boot');
  const { taskId, vmId } = await api.vm.create.mutate({
    name,
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
    disks: [{ bus: 'virtio', source: { kind: 'blank', sizeBytes: 32 * MIB } }],
    nics: [{ network: TEST_NETWORKS[0], model: 'virtio' }],
  });
  made.push(vmId);
  assert.equal((await waitTask(api, taskId, 120_000)).state, 'succeeded');
  const vm = await api.vm.byId.query({ vmId });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');
  const hw0 = await api.vm.hardware.query({ vmId });
  const mac = hw0.nics[0]?.mac;
  assert.ok(mac);
  assert.deepEqual(hw0.bootOrder, [], 'a new VM has the default order');
  const xml0 = await inactiveXml(host, vm.uuid);
  assert.match(xml0, /<boot dev='hd'\/>/);

  // Refused before the host is asked: a device the VM has not, UEFI with 128 MiB.
  const unknown = await rejection(
    api.vm.editBoot.mutate({ vmId, firmware: 'bios', order: [{ kind: 'disk', position: 7 }] }),
  );
  assert.equal(unknown.code, 'BAD_INPUT');
  assert.match(unknown.message, /has no drive 7/);
  const twice = await rejection(
    api.vm.editBoot.mutate({
      vmId,
      firmware: 'bios',
      order: [
        { kind: 'nic', position: 0 },
        { kind: 'nic', position: 0 },
      ],
    }),
  );
  assert.match(twice.message, /NIC 0 twice/);
  const small = await rejection(
    api.vm.editBoot.mutate({ vmId, firmware: 'uefi', order: [{ kind: 'disk', position: 0 }] }),
  );
  assert.equal(small.code, 'BAD_INPUT');
  assert.match(small.message, /UEFI \(OVMF\) needs at least 256 MiB/);
  assert.equal(await inactiveXml(host, vm.uuid), xml0, 'refusals leave the definition as it was');
  assert.deepEqual(await api.vm.hardware.query({ vmId }).then((h) => [h.firmware, h.bootOrder]), ['bios', []]);

  // NIC first, then the blank disk (vdb), then the template disk (vda).
  const order = [
    { kind: 'nic', position: 0 },
    { kind: 'disk', position: 1 },
    { kind: 'disk', position: 0 },
  ] as const;
  const set = await waitTask(api, (await api.vm.editBoot.mutate({ vmId, firmware: 'bios', order: [...order] })).taskId);
  assert.equal(set.state, 'succeeded', set.errorMessage ?? '');
  const xml1 = await inactiveXml(host, vm.uuid);
  assert.doesNotMatch(xml1, /<boot dev=/, 'per-device order replaces <os><boot dev>');
  assert.deepEqual(bootOrders(xml1), { [mac]: 1, vdb: 2, vda: 3 });
  assert.deepEqual((await api.vm.hardware.query({ vmId })).bootOrder, order);
  await bootsToShell(host, vmId, vm.uuid, name);

  // Running: refused, nothing changes.
  const running = await rejection(
    api.vm.editBoot.mutate({ vmId, firmware: 'bios', order: [{ kind: 'disk', position: 0 }] }),
  );
  assert.equal(running.code, 'INVALID_STATE');
  assert.match(running.message, /Stop VM .* first/);
  assert.equal(await inactiveXml(host, vm.uuid), xml1);
  assert.equal((await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId)).state, 'succeeded');

  // UEFI once the VM has OVMF's minimum: firmware='efi' in the definition, and it boots.
  const mem = await waitTask(
    api,
    (await api.vm.edit.mutate({ vmId, name, vcpus: 1, maxVcpus: 1, memoryMiB: 256, maxMemoryMiB: 256 })).taskId,
  );
  assert.equal(mem.state, 'succeeded', mem.errorMessage ?? '');
  const uefi = await waitTask(
    api,
    (await api.vm.editBoot.mutate({ vmId, firmware: 'uefi', order: [{ kind: 'disk', position: 0 }] })).taskId,
  );
  assert.equal(uefi.state, 'succeeded', uefi.errorMessage ?? '');
  const xml2 = await inactiveXml(host, vm.uuid);
  assert.match(xml2, /<os firmware='efi'>/);
  assert.match(xml2, /<feature enabled='no' name='secure-boot'\/>/);
  assert.deepEqual(bootOrders(xml2), { vda: 1 });
  const hw2 = await api.vm.hardware.query({ vmId });
  assert.equal(hw2.firmware, 'uefi');
  assert.deepEqual(hw2.bootOrder, [{ kind: 'disk', position: 0 }]);
  await bootsToShell(host, vmId, vm.uuid, name);
  assert.match((await virsh(host, 'dumpxml', vm.uuid)).stdout, /type='pflash'/, 'the running domain has OVMF');
});
