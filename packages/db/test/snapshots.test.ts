import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { snapshots, templates, users, vms } = db;
after(teardown);

async function makeVm(name: string) {
  const ownerId = (await users.create({ username: `u-${name}`, password: 'pw-snap', role: 'user' })).id;
  const templateId = (
    await templates.upsert({
      name: `t-${name}`,
      description: '',
      kernelPath: '/k',
      initrdPath: '/i',
      diskPath: '/b.qcow2',
      cmdline: '',
      defaultVcpus: 1,
      defaultMemoryMiB: 128,
    })
  ).id;
  return vms.create({ uuid: randomUUID(), name, templateId, ownerId, vcpus: 1, memoryMiB: 128, state: 'running' });
}

const fact = (name: string, parent: string | null, current = false) => ({
  name,
  parent,
  current,
  description: '',
  withMemory: true,
  state: 'running',
  createdAt: Date.parse('2026-12-01T10:00:00Z') + name.charCodeAt(0) * 1000,
});

test("the mirror follows libvirt's list; Vireo's own fields stay; rows go with the VM", async () => {
  const vm = await makeVm('snap-a');
  await snapshots.replaceForVm(vm.id, [fact('a', null), fact('b', 'a', true)], ['b']);
  await snapshots.setDisplayName(vm.id, 'a', 'First');
  // libvirt deleted a (b moved up) and has c now.
  await snapshots.replaceForVm(vm.id, [fact('b', null), fact('c', 'b', true)]);
  const rows = await snapshots.listForVm(vm.id);
  assert.deepEqual(
    rows.map((r) => [r.name, r.parent, r.current, r.scheduled]),
    [
      ['b', null, false, true],
      ['c', 'b', true, false],
    ],
  );
  await snapshots.replaceForVm(vm.id, [fact('c', null, true)]);
  await snapshots.setDisplayName(vm.id, 'c', 'Kept');
  await snapshots.replaceForVm(vm.id, [fact('c', null, true)]);
  assert.equal((await snapshots.listForVm(vm.id))[0]?.displayName, 'Kept');
  await vms.delete(vm.id);
  assert.deepEqual(await snapshots.listForVm(vm.id), []);
});

test('a due schedule run is claimed once when two managers race for it', async () => {
  const vm = await makeVm('snap-b');
  const due = new Date(Date.now() - 1000);
  await snapshots.putSchedule(vm.id, {
    intervalMinutes: 60,
    withMemory: false,
    keepLast: 3,
    keepDays: null,
    enabled: true,
    nextRunAt: due,
  });
  const [seen] = await snapshots.dueSchedules(new Date());
  assert.ok(seen);
  const now = new Date();
  const next = new Date(now.getTime() + 3_600_000);
  const claims = await Promise.all([
    snapshots.claimRun(vm.id, seen.nextRunAt, now, next),
    snapshots.claimRun(vm.id, seen.nextRunAt, now, next),
  ]);
  assert.deepEqual(claims.sort(), [false, true]);
  assert.deepEqual(await snapshots.dueSchedules(new Date()), [], 'not due again until the next interval');
});
