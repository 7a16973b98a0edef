/**
 * Snapshots on real lab guests, checked inside the guest (over its serial console) and in libvirt:
 * a disk-only snapshot brings back the disk as it was; a memory snapshot brings back a running
 * guest whose ALIVE counter goes on from where it was; the tree and current mark follow libvirt;
 * kinds that cannot be taken are refused with coded errors; a VM with snapshots deletes cleanly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin, createTestVm, rejection, waitTask } from '../support/api.ts';
import { aliveCounters, readDiskMarker, serialText, writeDiskMarker } from '../support/guest-serial.ts';
import { domState, hostOfDomain, virsh, waitFor } from '../support/lab.ts';

test('disk-only and memory snapshots: create, tree, revert, describe, delete; VM delete with snapshots', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'snap');
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');
  const ready = () =>
    waitFor('READY on serial', async () => serialText(vm.uuid).includes(`VIREO GUEST ${vm.name} READY`), 60_000, 250);
  const ok = async (p: Promise<{ taskId: string }>, timeoutMs = 120_000) => {
    const t = await waitTask(api, (await p).taskId, timeoutMs);
    assert.equal(t.state, 'succeeded', `${t.kind}: ${t.errorMessage}`);
    return t;
  };
  await ready();

  // Marker A on the disk, then a disk-only snapshot of the shut-off VM.
  await writeDiskMarker(host, vm.uuid, 'SNAPMARK-A');
  assert.equal(await readDiskMarker(host, vm.uuid), 'SNAPMARK-A');
  const diskOnlyRunning = await rejection(api.snapshot.create.mutate({ vmId, name: 'nope', withMemory: false }));
  assert.equal(diskOnlyRunning.code, 'INVALID_STATE', 'a disk-only snapshot of a running VM is refused');
  await ok(api.vm.forceOff.mutate({ vmId }));
  const memStopped = await rejection(api.snapshot.create.mutate({ vmId, name: 'nope', withMemory: true }));
  assert.equal(memStopped.code, 'INVALID_STATE', 'a memory snapshot of a shut-off VM is refused');
  await ok(api.snapshot.create.mutate({ vmId, name: 'disk1', description: 'marker A', withMemory: false }));
  const dup = await rejection(api.snapshot.create.mutate({ vmId, name: 'disk1', withMemory: false }));
  assert.equal(dup.code, 'CONFLICT');

  // Change the disk, revert (booting it), read marker A again.
  await ok(api.vm.start.mutate({ vmId }));
  await ready();
  await writeDiskMarker(host, vm.uuid, 'SNAPMARK-B');
  assert.equal(await readDiskMarker(host, vm.uuid), 'SNAPMARK-B');
  await ok(api.vm.forceOff.mutate({ vmId }));
  await ok(api.snapshot.revert.mutate({ vmId, name: 'disk1', start: true }));
  assert.equal(await domState(host, vm.uuid), 'running', 'reverted with start: running in libvirt');
  await ready();
  assert.equal(await readDiskMarker(host, vm.uuid), 'SNAPMARK-A', 'the disk is back as it was at the snapshot');

  // Memory snapshot: let the ALIVE counter run, snapshot, let it run on, revert.
  await waitFor('ALIVE 10s', async () => aliveCounters(serialText(vm.uuid), vm.name).some((n) => n >= 10), 60_000, 500);
  await writeDiskMarker(host, vm.uuid, 'SNAPMARK-C');
  const before = aliveCounters(serialText(vm.uuid), vm.name).at(-1) ?? 0;
  await ok(api.snapshot.create.mutate({ vmId, name: 'mem1', withMemory: true }));
  const atSnapshot = aliveCounters(serialText(vm.uuid), vm.name).at(-1) ?? 0;
  await writeDiskMarker(host, vm.uuid, 'SNAPMARK-D');
  await waitFor(
    'the counter 30 s past the snapshot',
    async () => (aliveCounters(serialText(vm.uuid), vm.name).at(-1) ?? 0) >= atSnapshot + 30,
    90_000,
    500,
  );
  const logBefore = serialText(vm.uuid);
  const highest = aliveCounters(logBefore, vm.name).at(-1) ?? 0;
  await ok(api.snapshot.revert.mutate({ vmId, name: 'mem1' }));
  assert.equal(await domState(host, vm.uuid), 'running', 'a memory snapshot reverts to a running guest');
  assert.equal((await api.vm.byId.query({ vmId })).state, 'running');
  // The log may have been reopened by a new QEMU process (append='off') or go on in place.
  const after = () => {
    const now = serialText(vm.uuid);
    return now.startsWith(logBefore) ? now.slice(logBefore.length) : now;
  };
  const next = await waitFor(
    'an ALIVE line after the revert',
    async () => aliveCounters(after(), vm.name)[0],
    40_000,
    500,
  );
  assert.ok(
    next > before && next <= atSnapshot + 20,
    `the counter continues from the snapshot (${before}..${atSnapshot} then ${next})`,
  );
  assert.ok(next < highest, `the counter went back (was ${highest}, now ${next})`);
  assert.ok(!after().includes(`VIREO GUEST ${vm.name} READY`), 'the guest did not boot again');
  assert.equal(await readDiskMarker(host, vm.uuid), 'SNAPMARK-C', 'the disk is as it was at the memory snapshot');

  // The tree and the current mark, as libvirt has them.
  const { snapshots: list, stale } = await api.snapshot.list.query({ vmId });
  assert.equal(stale, false);
  const byName = new Map(list.map((s) => [s.name, s]));
  assert.deepEqual([...byName.keys()].sort(), ['disk1', 'mem1']);
  assert.equal(byName.get('disk1')?.parent, null);
  assert.equal(byName.get('mem1')?.parent, 'disk1');
  assert.equal(byName.get('mem1')?.withMemory, true);
  assert.equal(byName.get('disk1')?.withMemory, false);
  assert.equal(byName.get('mem1')?.current, true);
  assert.equal((await virsh(host, 'snapshot-current', vm.uuid, '--name')).stdout.trim(), 'mem1');

  // Describe (libvirt's metadata) and rename (Vireo's display name).
  await api.snapshot.update.mutate({
    vmId,
    name: 'disk1',
    description: 'marker A, described',
    displayName: 'Before B',
  });
  assert.match(
    (await virsh(host, 'snapshot-dumpxml', vm.uuid, 'disk1')).stdout,
    /<description>marker A, described<\/description>/,
  );
  const renamed = (await api.snapshot.list.query({ vmId })).snapshots.find((s) => s.name === 'disk1');
  assert.equal(renamed?.displayName, 'Before B');
  assert.equal(
    (await virsh(host, 'snapshot-current', vm.uuid, '--name')).stdout.trim(),
    'mem1',
    'describe kept current',
  );

  // A name the VM does not have: NOT_FOUND before any task, libvirt's list untouched.
  const ghost = await rejection(api.snapshot.delete.mutate({ vmId, name: 'ghost0' }));
  assert.equal(ghost.code, 'NOT_FOUND', ghost.message);
  assert.match(ghost.message, /no snapshot ghost0/);

  // Delete the parent: its child moves up, libvirt agrees.
  await ok(api.snapshot.delete.mutate({ vmId, name: 'disk1' }));
  assert.equal((await virsh(host, 'snapshot-list', vm.uuid, '--name')).stdout.trim(), 'mem1');
  const left = (await api.snapshot.list.query({ vmId })).snapshots;
  assert.deepEqual(
    left.map((s) => [s.name, s.parent]),
    [['mem1', null]],
  );

  // A VM with snapshots deletes, and its snapshots with it.
  await ok(api.snapshot.create.mutate({ vmId, name: 'mem2', withMemory: true }));
  await ok(api.vm.forceOff.mutate({ vmId }));
  await ok(api.vm.delete.mutate({ vmId }));
  assert.equal(await domState(host, vm.uuid), null, 'the domain is gone');
});
