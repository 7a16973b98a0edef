import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exceededKinds, quotaMessage, resizeDelta, vmCost } from '../src/services/quotas/policy.ts';
import { editedMemoryCeiling } from '../src/services/quotas/resize.ts';
import { removedSnapshots } from '../src/services/snapshots.ts';

const project = {
  name: 'dev',
  quota: { Vms: 10, Vcpus: 16, MemoryMiB: null, DiskGiB: 100, Snapshots: 5 },
  used: { Vms: 3, Vcpus: 14, MemoryMiB: 4096, DiskGiB: 10, Snapshots: 5 },
};

test('a VM costs one VM, its vCPUs, memory and blank disks rounded up to whole GiB', () => {
  const cost = vmCost({
    vcpus: 4,
    memoryMiB: 2048,
    disks: [{ source: { kind: 'blank', sizeBytes: 1024 ** 3 + 1 } }, { source: { kind: 'empty' } }],
  });
  assert.deepEqual(cost, { Vms: 1, Vcpus: 4, MemoryMiB: 2048, DiskGiB: 2, Snapshots: 0 });
});

test('the template’s disks count at their virtual size, rounded up with the blank disks once', () => {
  const GiB = 1024 ** 3;
  assert.equal(vmCost({ vcpus: 1, memoryMiB: 128 }, 64 * 1024 ** 2).DiskGiB, 1, 'a 64 MiB base takes 1 GiB');
  assert.equal(vmCost({ vcpus: 1, memoryMiB: 128 }, 10 * GiB).DiskGiB, 10);
  const both = vmCost(
    { vcpus: 1, memoryMiB: 128, disks: [{ source: { kind: 'blank', sizeBytes: GiB / 2 } }] },
    GiB / 2,
  );
  assert.equal(both.DiskGiB, 1, 'half a GiB of each: one GiB, not two');
  assert.deepEqual(exceededKinds(project, vmCost({ vcpus: 1, memoryMiB: 128 }, 91 * GiB)), ['DiskGiB']);
});

test('the refusal names the limit, the use and the request; unlimited and ungrown kinds never refuse', () => {
  const cost = vmCost({ vcpus: 4, memoryMiB: 1_000_000 });
  assert.deepEqual(exceededKinds(project, cost), ['Vcpus']);
  assert.equal(
    quotaMessage(project, cost),
    'Project dev: 14 of 16 vCPUs in use; this VM needs 4. Ask for more, or request approval.',
  );
  assert.deepEqual(exceededKinds(project, { Snapshots: 1, Vcpus: 2 }), ['Snapshots']);
  assert.match(quotaMessage(project, { Vcpus: 1 }), /used up by another request/);
});

test('a resize grows what got bigger and gives back what got smaller', () => {
  assert.deepEqual(resizeDelta({ vcpus: 2, memoryMiB: 1024, diskGiB: 5 }, { vcpus: 4, memoryMiB: 512, diskGiB: 5 }), {
    grow: { Vcpus: 2, MemoryMiB: 0, DiskGiB: 0 },
    shrink: { Vcpus: 0, MemoryMiB: 512, DiskGiB: 0 },
  });
});

test('an edit charges memory at its maximum; a running VM keeps the ceiling its QEMU holds', () => {
  const edit = { memoryMiB: 128, maxMemoryMiB: 2048 };
  assert.equal(editedMemoryCeiling({ ...edit, running: false }, 128), 2048);
  assert.equal(
    editedMemoryCeiling({ memoryMiB: 256, maxMemoryMiB: 512, running: false }, 2048),
    512,
    'stopped: given back',
  );
  assert.equal(editedMemoryCeiling({ memoryMiB: 256, maxMemoryMiB: 512, running: true }, 2048), 2048, 'running: kept');
});

test('a snapshot delete gives back the snapshots that went, none for one that was not there', () => {
  assert.equal(removedSnapshots(['a', 'b'], [{ name: 'a' }, { name: 'b' }]), 0);
  assert.equal(removedSnapshots(['a', 'b', 'c'], [{ name: 'c' }]), 2);
  assert.equal(removedSnapshots([], [{ name: 'outside' }]), 0);
});
