// The VM visibility filter (issue 10) on a real database: each kind of grant shows exactly its
// VMs, the filter composes with the list's own filters and count, and a VM's role bindings go
// with it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setupTestDb, testHost, testTemplate, testVm } from './helpers.ts';

const { db, teardown } = await setupTestDb();
after(teardown);

test('owner, project, host, cluster, datacenter and single-VM grants each show their VMs, and only those', async () => {
  const dc = await db.inventory.createDatacenter('dc-a');
  const dcOther = await db.inventory.createDatacenter('dc-b');
  const c1 = await db.inventory.createCluster(dc.id, 'c1');
  const c2 = await db.inventory.createCluster(dcOther.id, 'c2');
  const h1 = await testHost(db, 'h1', c1.id);
  const h2 = await testHost(db, 'h2', c2.id);
  const t = await testTemplate(db, 'tpl');
  const me = await db.users.create({ username: 'me', password: 'pw-me-long', role: 'user' });
  const other = await db.users.create({ username: 'other', password: 'pw-other-long', role: 'user' });
  const p = await db.projects.create({ name: 'p' });
  const mine = await testVm(db, 'mine', { hostId: h2.id, templateId: t.id, ownerId: me.id });
  const inProject = await testVm(db, 'in-project', { hostId: h2.id, templateId: t.id, ownerId: other.id });
  await testVm(db, 'on-h1', { hostId: h1.id, templateId: t.id, ownerId: other.id });
  const single = await testVm(db, 'single', { hostId: h2.id, templateId: t.id, ownerId: other.id });
  const hidden = await testVm(db, 'hidden', { hostId: h2.id, templateId: t.id, ownerId: other.id });
  await db.vms.setProject(inProject.id, p.id);
  const none = { ownerId: me.id, projectIds: [], hostIds: [], clusterIds: [], datacenterIds: [], vmIds: [] };
  const names = async (visibleTo: Parameters<typeof db.vms.page>[0]['visibleTo']) =>
    (await db.vms.page({ offset: 0, limit: 50, sort: 'name', dir: 'asc', visibleTo })).rows.map((v) => v.name);

  assert.deepEqual(await names(none), ['mine']);
  assert.deepEqual(await names({ ...none, projectIds: [p.id] }), ['in-project', 'mine']);
  assert.deepEqual(await names({ ...none, hostIds: [h1.id] }), ['mine', 'on-h1']);
  assert.deepEqual(await names({ ...none, clusterIds: [c1.id] }), ['mine', 'on-h1']);
  assert.deepEqual(await names({ ...none, datacenterIds: [dc.id] }), ['mine', 'on-h1']);
  assert.deepEqual(await names({ ...none, vmIds: [single.id] }), ['mine', 'single']);
  assert.equal((await names({ all: true })).length, 5);
  assert.ok(
    !(await names({ ...none, projectIds: [p.id], clusterIds: [c1.id], vmIds: [single.id] })).includes('hidden'),
  );

  // Composes with the list's filters and its count.
  const page = await db.vms.page({
    offset: 0,
    limit: 1,
    sort: 'name',
    dir: 'asc',
    name: 'in',
    visibleTo: { ...none, projectIds: [p.id] },
  });
  assert.deepEqual(
    page.rows.map((v) => v.name),
    ['in-project'],
  );
  assert.equal(page.total, 2, 'mine and in-project match "in"; the page holds one');
  assert.deepEqual(
    [...(await db.vms.visibleIds([mine.id, hidden.id, inProject.id], { ...none, projectIds: [p.id] }))].sort(),
    [mine.id, inProject.id].sort(),
  );

  // A VM's grants go with it.
  await db.roleBindings.grant({ userId: me.id, role: 'viewer', scopeKind: 'vm', scopeId: hidden.id });
  assert.equal((await db.roleBindings.forScope('vm', hidden.id)).length, 1);
  await db.vms.delete(hidden.id);
  assert.equal((await db.roleBindings.forScope('vm', hidden.id)).length, 0);
});
