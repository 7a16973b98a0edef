/**
 * Disk hot-plug on a real lab guest: a blank volume added to the running VM appears in libvirt's
 * live and persistent definitions and in the guest's /proc/partitions (read over its serial
 * shell); removing it makes it leave all three, and its volume leaves the pool. A refused
 * hot-add (a stopped VM) changes no row.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Api, admin, createTestVm, rejection, waitTask } from '../support/api.ts';
import { guestRun, serialText } from '../support/guest-serial.ts';
import { ensureDefaultPool, poolVolumes } from '../support/hardware-fixtures.ts';
import { hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

let api: Api;
const made: string[] = [];

before(async () => {
  ({ api } = await admin());
  for (const host of lab().hosts) await ensureDefaultPool(host);
});

after(async () => {
  for (const vmId of made) {
    const vm = await api.vm.byId.query({ vmId }).catch(() => null);
    if (!vm) continue;
    if (vm.state !== 'shutoff') await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
  }
});

const MiB = 1024 * 1024;

test('a disk hot-added to a running guest shows in the guest, and hot-removed leaves it', async () => {
  const { vmId, vm } = await createTestVm(api, 'hotplug');
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');
  await waitFor('READY', async () => serialText(vm.uuid).includes(`VIREO GUEST ${vm.name} READY`), 90_000, 250);
  const before = await guestRun(host, vm.uuid, 'cat /proc/partitions | tr "\\n" " "');
  assert.doesNotMatch(before, /\bvdb\b/, 'no vdb before the hot-add');

  const added = await waitTask(api, (await api.vm.addDisk.mutate({ vmId, sizeBytes: 64 * MiB })).taskId, 120_000);
  assert.equal(added.state, 'succeeded', added.errorMessage ?? '');
  const hw = await api.vm.hardware.query({ vmId });
  const disk = hw.disks.at(-1);
  assert.ok(disk?.path && disk.volume, 'the new disk has a row with its volume and path');
  assert.equal(disk.bus, 'virtio');
  assert.equal(disk.owned, true);
  assert.equal(disk.sizeBytes, 64 * MiB);

  // libvirt: in the live domain and in its persistent definition.
  const live = (await virsh(host, 'domblklist', vm.uuid)).stdout;
  assert.match(live, new RegExp(`vdb\\s+${disk.path}`));
  const config = (await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout;
  assert.ok(config.includes(disk.path), 'the persistent definition has the disk');
  assert.ok((await poolVolumes(host)).includes(disk.volume), 'the volume is in the pool');

  // The guest: the kernel sees a 64 MiB vdb (/proc/partitions counts 1 KiB blocks).
  const seen = await waitFor(
    'vdb in the guest',
    async () => {
      const parts = await guestRun(host, vm.uuid, 'cat /proc/partitions | tr "\\n" " "');
      return /\bvdb\b/.test(parts) ? parts : null;
    },
    60_000,
    1000,
  );
  assert.match(seen, /65536\s+vdb\b/);

  const removed = await waitTask(
    api,
    (await api.vm.removeDisk.mutate({ vmId, position: disk.position })).taskId,
    120_000,
  );
  assert.equal(removed.state, 'succeeded', removed.errorMessage ?? '');
  assert.doesNotMatch((await virsh(host, 'domblklist', vm.uuid)).stdout, /\bvdb\b/);
  assert.ok(!(await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout.includes(disk.path));
  assert.ok(!(await poolVolumes(host)).includes(disk.volume), 'the volume left the pool');
  assert.ok(!(await api.vm.hardware.query({ vmId })).disks.some((d) => d.position === disk.position));
  const after = await guestRun(host, vm.uuid, 'cat /proc/partitions | tr "\\n" " "');
  assert.doesNotMatch(after, /\bvdb\b/, 'the guest no longer has vdb');

  // The boot disk cannot be hot-removed, and a stopped VM gets no hot-add.
  const first = (await api.vm.hardware.query({ vmId })).disks.find((d) => d.device === 'disk');
  assert.ok(first);
  assert.equal((await rejection(api.vm.removeDisk.mutate({ vmId, position: first.position }))).code, 'INVALID_STATE');
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
  const rows = (await api.vm.hardware.query({ vmId })).disks.length;
  assert.equal((await rejection(api.vm.addDisk.mutate({ vmId, sizeBytes: 64 * MiB }))).code, 'INVALID_STATE');
  assert.equal((await api.vm.hardware.query({ vmId })).disks.length, rows, 'a refused hot-add adds no row');
});
