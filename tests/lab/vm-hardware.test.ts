/**
 * VM hardware on real lab hosts: a VM with a template disk, two more disks (virtio + SATA, made
 * as pool volumes through libvirt) and two NICs is created through Vireo's API; libvirt's own
 * XML shows them with the MACs Vireo chose; it boots to READY by BIOS and by UEFI (OVMF, kernel
 * boot); a create that fails part way leaves no volume; delete takes the VM's volumes with it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { admin, type Api, rejection, uniqueName, waitTask, defaultTemplate, removeVms } from '../support/api.ts';
import { ensureHardwareFixtures, poolVolumes, TEST_NETWORKS } from '../support/hardware-fixtures.ts';
import { hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

const MIB = 1024 ** 2;
let api: Api;
let templateId: string;
const made: string[] = [];

before(async () => {
  await ensureHardwareFixtures();
  ({ api } = await admin());
  const template = await defaultTemplate(api);
  assert.ok(template, 'the seeded default template exists');
  templateId = template.id;
});

after(async () => {
  await removeVms(api, made);
});

async function createVm(name: string, firmware: 'bios' | 'uefi') {
  const { taskId, vmId } = await api.vm.create.mutate({
    name,
    templateId,
    vcpus: 1,
    // OVMF needs 256 MiB (UEFI_MIN_MEMORY_MIB); BIOS guests do with 128.
    memoryMiB: firmware === 'uefi' ? 256 : 128,
    start: true,
    firmware,
    disks: [
      { bus: 'virtio', source: { kind: 'blank', sizeBytes: 64 * MIB } },
      { bus: 'sata', format: 'raw', source: { kind: 'blank', sizeBytes: 32 * MIB } },
    ],
    nics: [
      { network: TEST_NETWORKS[0], model: 'virtio' },
      { network: TEST_NETWORKS[1], model: 'e1000' },
    ],
  });
  made.push(vmId);
  const task = await waitTask(api, taskId, 120_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  return api.vm.byId.query({ vmId });
}

const serialLog = (uuid: string) => `${lab().sharedDir}/vms/${uuid}.serial.log`;
const ready = (uuid: string, name: string) =>
  waitFor(
    `VIREO GUEST ${name} READY on the serial line`,
    async () =>
      existsSync(serialLog(uuid)) && readFileSync(serialLog(uuid), 'utf8').includes(`VIREO GUEST ${name} READY`),
    90_000,
    250,
  );

test('2 disks (virtio + SATA) and 2 NICs: libvirt has them as Vireo chose, and the VM boots (BIOS and UEFI)', async () => {
  const bios = uniqueName('hwb');
  const uefi = uniqueName('hwu');
  const [vmB, vmU] = await Promise.all([createVm(bios, 'bios'), createVm(uefi, 'uefi')]);

  for (const [vm, firmware] of [
    [vmB, 'bios'],
    [vmU, 'uefi'],
  ] as const) {
    const hw = await api.vm.hardware.query({ vmId: vm.id });
    assert.equal(hw.firmware, firmware);
    assert.deepEqual(
      hw.disks.map((d) => [d.position, d.bus, d.device, d.volume, d.sizeBytes]),
      [
        [0, 'virtio', 'disk', null, null],
        [1, 'virtio', 'disk', `${vm.uuid}-disk1.qcow2`, 64 * MIB],
        [2, 'sata', 'disk', `${vm.uuid}-disk2.raw`, 32 * MIB],
      ],
    );
    assert.ok(
      hw.disks.every((d) => d.path),
      'every disk has the path the host reported',
    );
    assert.equal(hw.nics.length, 2);
    for (const n of hw.nics) assert.match(n.mac, /^52:54:00(:[0-9a-f]{2}){3}$/);

    // libvirt's own XML: the disks on their buses and the NICs with Vireo's MACs.
    const host = await hostOfDomain(vm.uuid);
    assert.ok(host);
    const xml = (await virsh(host, 'dumpxml', vm.uuid)).stdout;
    assert.match(
      xml,
      new RegExp(
        `<source file='[^']*/${vm.uuid}-disk1\\.qcow2'[^>]*/>\\s*(<backingStore/>\\s*)?<target dev='vdb' bus='virtio'/>`,
      ),
    );
    assert.match(
      xml,
      new RegExp(
        `<source file='[^']*/${vm.uuid}-disk2\\.raw'[^>]*/>\\s*(<backingStore/>\\s*)?<target dev='sda' bus='sata'/>`,
      ),
    );
    for (const [i, n] of hw.nics.entries()) {
      assert.match(
        xml,
        new RegExp(`<mac address='${n.mac}'/>\\s*<source network='${TEST_NETWORKS[i]}'[^>]*/>`),
        `NIC ${i} as Vireo chose it`,
      );
    }
    assert.match(xml, /<model type='virtio'\/>[\s\S]*<model type='e1000'\/>/);
    if (firmware === 'uefi') {
      // Running, libvirt shows the firmware it picked for <os firmware='efi'>: OVMF, no secure boot.
      assert.match(xml, /<loader readonly='yes' type='pflash'>\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd<\/loader>/);
      assert.match(xml, /<nvram template='\/usr\/share\/OVMF\/OVMF_VARS_4M\.fd'>/);
      assert.match(xml, /machine='pc-q35-/);
    } else {
      assert.match(xml, /machine='pc-i440fx-/);
    }
  }

  // MACs are unique across the installation.
  const macs = [
    ...(await api.vm.hardware.query({ vmId: vmB.id })).nics,
    ...(await api.vm.hardware.query({ vmId: vmU.id })).nics,
  ].map((n) => n.mac);
  assert.equal(new Set(macs).size, macs.length, `MACs unique: ${macs.join(' ')}`);

  await Promise.all([ready(vmB.uuid, bios), ready(vmU.uuid, uefi)]);
});

test('a create that fails part way leaves no volume behind; a refused input changes nothing', async () => {
  const host = lab().hosts[0]!;
  const before = await poolVolumes(host);
  const name = uniqueName('hwf');
  const { taskId, vmId } = await api.vm.create.mutate({
    name,
    templateId,
    vcpus: 1,
    memoryMiB: 128,
    disks: [
      { bus: 'virtio', source: { kind: 'blank', sizeBytes: 16 * MIB } },
      // Made after the first: its base does not exist, so the create fails with one volume made.
      { bus: 'scsi', source: { kind: 'linkedFrom', base: { pool: 'default', volume: 'no-such-base.qcow2' } } },
    ],
  });
  const task = await waitTask(api, taskId, 120_000);
  assert.equal(task.state, 'failed');
  assert.match(task.errorMessage ?? '', /no-such-base/);
  assert.equal((await rejection(api.vm.byId.query({ vmId }))).code, 'NOT_FOUND', 'the VM record is gone');
  for (const h of lab().hosts) {
    const vols = await poolVolumes(h);
    assert.deepEqual(
      vols.filter((v) => v.includes('-disk')),
      before.filter((v) => v.includes('-disk')),
      `no volume of the failed create on ${h.name}`,
    );
  }

  const cdromOnVirtio = await rejection(
    api.vm.create.mutate({
      name: uniqueName('hwx'),
      templateId,
      vcpus: 1,
      memoryMiB: 128,
      disks: [{ device: 'cdrom', bus: 'virtio', source: { kind: 'empty' } }],
    }),
  );
  assert.equal(cdromOnVirtio.code, 'BAD_INPUT');
  assert.match(cdromOnVirtio.message, /SATA or SCSI/);
  const smallUefi = await rejection(
    api.vm.create.mutate({ name: uniqueName('hwx'), templateId, vcpus: 1, memoryMiB: 128, firmware: 'uefi' }),
  );
  assert.equal(smallUefi.code, 'BAD_INPUT');
  assert.match(smallUefi.message, /UEFI \(OVMF\) needs at least 256 MiB/);
  const tooMany = await rejection(
    api.vm.create.mutate({
      name: uniqueName('hwx'),
      templateId,
      vcpus: 1,
      memoryMiB: 128,
      nics: Array.from({ length: 9 }, () => ({ network: 'default' })),
    }),
  );
  assert.equal(tooMany.code, 'BAD_INPUT');
});

test('deleting a VM deletes the volumes made for it', async () => {
  const [vmId] = made;
  assert.ok(vmId);
  const vm = await api.vm.byId.query({ vmId });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  assert.deepEqual(
    (await poolVolumes(host)).filter((v) => v.startsWith(vm.uuid)),
    [`${vm.uuid}-disk1.qcow2`, `${vm.uuid}-disk2.raw`],
  );
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
  const del = await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  assert.equal(del.state, 'succeeded', del.errorMessage ?? '');
  assert.deepEqual(
    (await poolVolumes(host)).filter((v) => v.startsWith(vm.uuid)),
    [],
  );
});
