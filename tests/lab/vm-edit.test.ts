/**
 * Disk hot-plug on a real lab guest: a blank volume added to the running VM appears in libvirt's
 * live and persistent definitions and in the guest's /proc/partitions (read over its serial
 * shell); removing it makes it leave all three, and its volume leaves the pool. A refused
 * hot-add (a stopped VM) changes no row.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Api, admin, createTestVm, rejection, waitTask, removeVms } from '../support/api.ts';
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
  await removeVms(api, made);
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

test('editing a stopped VM sets vCPUs, memory, their maximums and the name in libvirt; a refused edit changes nothing', async () => {
  const { vmId, vm } = await createTestVm(api, 'edit', { start: false });
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');
  const name = `${vm.name}-x`;

  const edited = await waitTask(
    api,
    (await api.vm.edit.mutate({ vmId, name, vcpus: 2, maxVcpus: 4, memoryMiB: 192, maxMemoryMiB: 256 })).taskId,
  );
  assert.equal(edited.state, 'succeeded', edited.errorMessage ?? '');
  const count = async (...flags: string[]) =>
    (await virsh(host, 'vcpucount', vm.uuid, '--config', ...flags)).stdout.trim();
  assert.equal(await count('--current'), '2');
  assert.equal(await count('--maximum'), '4');
  const info = (await virsh(host, 'dominfo', vm.uuid)).stdout;
  assert.match(info, /Name:\s+(\S+)/);
  assert.equal(/Name:\s+(\S+)/.exec(info)?.[1], name);
  assert.match(info, /Max memory:\s+262144 KiB/);
  assert.match(info, /Used memory:\s+196608 KiB/);
  const row = await api.vm.byId.query({ vmId });
  assert.equal(row.name, name);
  assert.equal(row.vcpus, 2);
  assert.equal(row.memoryMiB, 192);

  // Validated before anything moves: more vCPUs than the maximum never reaches the host.
  const bad = await rejection(
    api.vm.edit.mutate({ vmId, name, vcpus: 4, maxVcpus: 2, memoryMiB: 192, maxMemoryMiB: 256 }),
  );
  assert.equal(bad.code, 'BAD_INPUT');

  // A name another domain of the host has (defined behind Vireo's back): the host refuses, and
  // neither libvirt's definition nor Vireo's row changes.
  const clash = `${vm.name}-clash`;
  const xml = `<domain type='qemu'><name>${clash}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`;
  const file = `${lab().sharedDir}/${clash}.xml`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, xml);
  assert.equal((await virsh(host, 'define', file)).code, 0);
  try {
    const refused = await waitTask(
      api,
      (await api.vm.edit.mutate({ vmId, name: clash, vcpus: 1, maxVcpus: 1, memoryMiB: 128, maxMemoryMiB: 128 }))
        .taskId,
    );
    assert.equal(refused.state, 'failed');
    assert.equal(await count('--current'), '2');
    assert.equal(await count('--maximum'), '4');
    const still = await api.vm.byId.query({ vmId });
    assert.deepEqual([still.name, still.vcpus, still.memoryMiB], [name, 2, 192]);
  } finally {
    await virsh(host, 'undefine', clash);
  }

  // The edited VM boots with its new figures: the guest sees 2 CPUs.
  assert.equal((await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId)).state, 'succeeded');
  await waitFor('READY', async () => serialText(vm.uuid).includes('READY'), 90_000, 250);
  assert.equal((await guestRun(host, vm.uuid, 'grep -c ^processor /proc/cpuinfo')).trim(), '2');
});

test('an edit of a running VM is pending until its next start, then the guest has it', async () => {
  const { vmId, vm } = await createTestVm(api, 'pending');
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');
  assert.deepEqual((await api.vm.pendingChanges.query({ vmId })).changes, []);

  const renamed = await rejection(
    api.vm.edit.mutate({ vmId, name: `${vm.name}-r`, vcpus: 1, maxVcpus: 1, memoryMiB: 128, maxMemoryMiB: 128 }),
  );
  assert.equal(renamed.code, 'INVALID_STATE');

  const edited = await waitTask(
    api,
    (await api.vm.edit.mutate({ vmId, name: vm.name, vcpus: 2, maxVcpus: 2, memoryMiB: 128, maxMemoryMiB: 128 }))
      .taskId,
  );
  assert.equal(edited.state, 'succeeded', edited.errorMessage ?? '');
  const count = async (...flags: string[]) => (await virsh(host, 'vcpucount', vm.uuid, ...flags)).stdout.trim();
  assert.equal(await count('--live', '--current'), '1', 'the running domain keeps its vCPUs');
  assert.equal(await count('--config', '--current'), '2', 'the definition has the new count');
  const pending = (await api.vm.pendingChanges.query({ vmId })).changes;
  assert.deepEqual(
    pending.map((c) => [c.what, c.now, c.next]),
    [
      ['vCPUs', 1, 2],
      ['Maximum vCPUs', 1, 2],
    ],
  );
  assert.equal((await api.vm.byId.query({ vmId })).vcpus, 1, 'the VM row shows what runs now');

  // The next start applies it: the guest sees 2 CPUs and nothing is pending.
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
  assert.equal((await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId)).state, 'succeeded');
  assert.equal(await count('--live', '--current'), '2');
  assert.deepEqual((await api.vm.pendingChanges.query({ vmId })).changes, []);
  await waitFor('the row follows', async () => (await api.vm.byId.query({ vmId })).vcpus === 2, 30_000, 250);
  await waitFor(
    'READY after the restart',
    async () => serialText(vm.uuid).includes(`VIREO GUEST ${vm.name} READY`),
    90_000,
    250,
  );
  assert.equal((await guestRun(host, vm.uuid, 'grep -c ^processor /proc/cpuinfo')).trim(), '2');
});
