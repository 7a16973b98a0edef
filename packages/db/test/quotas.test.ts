import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { projects, quotas, snapshots, templates, users, vms, vmRequests } = db;
after(teardown);

const owner = await users.create({ username: 'quota-owner', password: 'pw-quota', role: 'user' });
const template = await templates.upsert({
  name: 'quota-t',
  description: '',
  kernelPath: '/k',
  initrdPath: '/i',
  diskPath: '/b.qcow2',
  cmdline: '',
  defaultVcpus: 1,
  defaultMemoryMiB: 128,
});

function vmIn(projectId: string, name: string, vcpus = 1, reservedDiskGiB = 0) {
  return vms.create({
    uuid: randomUUID(),
    name,
    templateId: template.id,
    ownerId: owner.id,
    vcpus,
    memoryMiB: 256,
    projectId,
    reservedDiskGiB,
  });
}

test('a reservation passes while every limit holds, and is refused at the limit with the counters unchanged', async () => {
  const p = await projects.create({ name: 'q-limit', quota: { Vms: 2, Vcpus: 4 } });
  assert.deepEqual(await quotas.reserve(p.id, { Vms: 1, Vcpus: 3 }), { ok: true });
  const refused = await quotas.reserve(p.id, { Vms: 1, Vcpus: 2 });
  assert.equal(refused.ok, false);
  assert.equal(refused.ok === false && refused.project?.used.Vcpus, 3);
  assert.deepEqual(await quotas.reserve(p.id, { Vms: 1, Vcpus: 1, MemoryMiB: 1_000_000 }), { ok: true }); // no memory limit
  assert.equal((await quotas.reserve(p.id, { Vms: 1 })).ok, false);
  const now = await projects.byId(p.id);
  assert.deepEqual(now?.used, { Vms: 2, Vcpus: 4, MemoryMiB: 1_000_000, DiskGiB: 0, Snapshots: 0 });
});

test('forced reservations pass the limit; a kind not grown is not checked; release never goes below 0', async () => {
  const p = await projects.create({ name: 'q-force', quota: { Vms: 1, Vcpus: 1 } });
  assert.equal((await quotas.reserve(p.id, { Vms: 2, Vcpus: 2 }, { force: true })).ok, true);
  // Over the vCPU limit now, but a snapshot-only change does not grow vCPUs.
  assert.equal((await quotas.reserve(p.id, { Snapshots: 1 })).ok, true);
  await quotas.release(p.id, { Vms: 5, Vcpus: 1 });
  assert.deepEqual((await projects.byId(p.id))?.used, { Vms: 0, Vcpus: 1, MemoryMiB: 0, DiskGiB: 0, Snapshots: 1 });
  assert.deepEqual(await quotas.reserve('no-such-project', { Vms: 1 }), { ok: false, project: null });
});

test('20 concurrent reservations against a quota of 3 VMs: exactly 3 pass', async () => {
  const p = await projects.create({ name: 'q-race', quota: { Vms: 3 } });
  const results = await Promise.all(Array.from({ length: 20 }, () => quotas.reserve(p.id, { Vms: 1, Vcpus: 1 })));
  assert.equal(results.filter((r) => r.ok).length, 3);
  assert.equal((await projects.byId(p.id))?.used.Vms, 3);
});

test('a VM recorded with its charge: 20 concurrent creates against 3 VMs make exactly 3 rows and 3 charged', async () => {
  const p = await projects.create({ name: 'q-charged', quota: { Vms: 3, DiskGiB: 100 } });
  const row = (i: number) => ({
    uuid: randomUUID(),
    name: `q-charged-${i}`,
    templateId: template.id,
    ownerId: owner.id,
    vcpus: 2,
    memoryMiB: 256,
    projectId: p.id,
    reservedDiskGiB: 4,
  });
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => vms.createCharged(row(i))));
  assert.equal(results.filter((r) => r.ok).length, 3);
  const refused = results.find((r) => !r.ok);
  assert.ok(refused && !refused.ok && refused.project?.used.Vms === 3, 'a refusal carries the project as it is');
  const inProject = () => db.getDb().vm.findMany({ where: { projectId: p.id }, select: { id: true, name: true } });
  assert.equal((await inProject()).length, 3);
  assert.deepEqual((await projects.byId(p.id))?.used, { Vms: 3, Vcpus: 6, MemoryMiB: 768, DiskGiB: 12, Snapshots: 0 });
  // A name already taken: the row is refused and so is its charge (one transaction).
  const taken = results.find((r) => r.ok);
  assert.ok(taken?.ok);
  const other = (await inProject()).find((v) => v.name !== taken.vm.name);
  assert.ok(other && (await vms.delete(other.id)));
  await assert.rejects(
    vms.createCharged({ ...row(99), name: taken.vm.name }),
    (err: Error) => err.name === 'DbConflictError',
  );
  assert.equal((await projects.byId(p.id))?.used.Vms, 2, 'the refused row charged nothing');
  // Forced (an approver's over-quota approval) passes the limit; a project gone is null.
  assert.ok((await vms.createCharged(row(100), { force: true })).ok);
  assert.ok((await vms.createCharged(row(101), { force: true })).ok);
  assert.equal((await projects.byId(p.id))?.used.Vms, 4);
  assert.deepEqual(await vms.createCharged({ ...row(102), projectId: 'no-such-project' }), {
    ok: false,
    project: null,
  });
});

test('deleting a VM gives back its share, snapshots included; recount repairs drift', async () => {
  const p = await projects.create({ name: 'q-recount', quota: { Vms: 10 } });
  await quotas.reserve(p.id, { Vms: 2, Vcpus: 3, MemoryMiB: 512, DiskGiB: 5, Snapshots: 1 });
  const a = await vmIn(p.id, 'q-recount-a', 1, 5);
  const b = await vmIn(p.id, 'q-recount-b', 2);
  await snapshots.replaceForVm(a.id, [
    {
      name: 's1',
      parent: null,
      current: true,
      description: '',
      withMemory: false,
      state: 'shutoff',
      createdAt: Date.now(),
    },
  ]);
  assert.equal(await vms.delete(a.id), true);
  assert.deepEqual((await projects.byId(p.id))?.used, { Vms: 1, Vcpus: 2, MemoryMiB: 256, DiskGiB: 0, Snapshots: 0 });

  // Drift: a crash between a reservation and its release left counters too high.
  await quotas.reserve(p.id, { Vms: 4, Vcpus: 9, DiskGiB: 7 });
  const repaired = await quotas.recount(p.id);
  assert.deepEqual(repaired?.before, { Vms: 5, Vcpus: 11, MemoryMiB: 256, DiskGiB: 7, Snapshots: 0 });
  assert.deepEqual(repaired?.after, { Vms: 1, Vcpus: 2, MemoryMiB: 256, DiskGiB: 0, Snapshots: 0 });
  assert.deepEqual((await projects.byId(p.id))?.used, repaired?.after);
  assert.equal(await quotas.recount('no-such-project'), null);
  await vms.delete(b.id);
});

test('memory counts at the ceiling: readings after start do not move the charge; recount and delete agree', async () => {
  const p = await projects.create({ name: 'q-ceiling', quota: { MemoryMiB: 4096 } });
  const created = await vms.createCharged({
    uuid: randomUUID(),
    name: 'q-ceiling-a',
    templateId: template.id,
    ownerId: owner.id,
    vcpus: 1,
    memoryMiB: 128,
    projectId: p.id,
  });
  assert.ok(created.ok);
  const vm = created.vm;
  assert.equal((await quotas.vmShare(vm.id))?.memoryCeilingMiB, 128, 'a new VM: its maximum is its memory');
  // An edit to 128 MiB with a 2048 MiB maximum: reserved at the maximum, then recorded.
  assert.equal((await quotas.reserve(p.id, { MemoryMiB: 2048 - 128 })).ok, true);
  await quotas.setMemoryCeiling(vm.id, 2048);
  // Started: libvirt reads 2048 (no balloon driver) or 100 (ballooned); neither moves the charge.
  for (const reading of [2048, 100]) {
    await vms.applyFacts(vm.uuid, { name: vm.name, vcpus: 1, memoryMiB: reading });
    const recount = await quotas.recount(p.id);
    assert.equal(recount?.before.MemoryMiB, 2048, `reading ${reading}`);
    assert.deepEqual(recount?.after, recount?.before, `reading ${reading}: the counters were right`);
  }
  // A maximum raised outside Vireo (virsh setmaxmem) shows as a higher reading: the repair counts
  // it and raises the ceiling, so the delete gives back exactly what is counted.
  await vms.applyFacts(vm.uuid, { name: vm.name, vcpus: 1, memoryMiB: 3000 });
  assert.equal((await quotas.recount(p.id))?.after.MemoryMiB, 3000);
  assert.equal((await quotas.vmShare(vm.id))?.memoryCeilingMiB, 3000);
  await vms.delete(vm.id);
  assert.equal((await projects.byId(p.id))?.used.MemoryMiB, 0);

  // A VM moved into the project brings its ceiling, not its reading.
  const outside = await vms.create({
    uuid: randomUUID(),
    name: 'q-ceiling-b',
    templateId: template.id,
    ownerId: owner.id,
    vcpus: 1,
    memoryMiB: 128,
  });
  await quotas.setMemoryCeiling(outside.id, 512);
  await vms.setProject(outside.id, p.id);
  assert.equal((await projects.byId(p.id))?.used.MemoryMiB, 512);
  assert.deepEqual((await quotas.recount(p.id))?.after.MemoryMiB, 512);
  await vms.delete(outside.id);
  assert.equal((await projects.byId(p.id))?.used.MemoryMiB, 0);
});

test('a request is decided once: the first decision wins', async () => {
  const p = await projects.create({ name: 'q-requests' });
  const r = await vmRequests.create({ requesterId: owner.id, projectId: p.id, input: '{}', reason: 'quota' });
  assert.equal(r.state, 'pending');
  assert.equal(r.projectName, 'q-requests');
  const [first, second] = await Promise.all([
    vmRequests.decide(r.id, { state: 'rejected', approverId: owner.id, note: 'no' }),
    vmRequests.decide(r.id, { state: 'cancelled' }),
  ]);
  assert.equal(Number(first) + Number(second), 1);
  assert.deepEqual(
    (await vmRequests.list({ requesterId: owner.id })).map((x) => x.id),
    [r.id],
  );
});
