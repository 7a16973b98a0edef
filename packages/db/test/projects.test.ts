// Projects, role bindings and flavors (issue 10) against a migrated database (SQLite or
// PostgreSQL): quotas read back, a project with VMs is not removed, publications, idempotent
// grants, the scopes enclosing a VM, and flavors seeded once.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setupTestDb, testHost, testTemplate, testVm } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { projects, roleBindings, flavors, users, clusters, getDb } = db;
after(teardown);

describe('projects and role bindings', () => {
  test('a project: quotas, publications, members, and no removal while it has VMs', async () => {
    const p = await projects.create({ name: 'dev', description: 'Developers', quota: { Vms: 3, Vcpus: 8 } });
    assert.deepEqual(p.quota, { Vms: 3, Vcpus: 8, MemoryMiB: null, DiskGiB: null, Snapshots: null });
    assert.deepEqual(p.used, { Vms: 0, Vcpus: 0, MemoryMiB: 0, DiskGiB: 0, Snapshots: 0 });
    const changed = await projects.update(p.id, { quota: { Vcpus: null, MemoryMiB: 4096 } });
    assert.equal(changed.quota.Vcpus, null, 'null lifts a limit');
    assert.equal(changed.quota.MemoryMiB, 4096);
    assert.equal(changed.quota.Vms, 3, 'an omitted quota stays');

    const template = await testTemplate(db, 'tiny-projects');
    await projects.publish(p.id, 'template', template.id);
    await projects.publish(p.id, 'template', template.id);
    assert.deepEqual(await projects.publishedIds([p.id], 'template'), [template.id]);
    assert.deepEqual(await projects.publishedTo('template', template.id), [p.id]);

    const alice = await users.create({ username: 'alice-p', password: 'password-a', role: 'user' });
    const first = await roleBindings.grant({ userId: alice.id, role: 'member', scopeKind: 'project', scopeId: p.id });
    const again = await roleBindings.grant({ userId: alice.id, role: 'member', scopeKind: 'project', scopeId: p.id });
    assert.equal(first.id, again.id, 'granting twice keeps one binding');
    assert.deepEqual(
      (await roleBindings.forScope('project', p.id)).map((b) => [b.username, b.role]),
      [['alice-p', 'member']],
    );

    const cluster = await clusters.ensure('DC-p', 'C-p');
    const host = await testHost(db, 'host-p', cluster.id);
    const vm = await testVm(db, 'vm-p', { hostId: host.id, templateId: template.id, ownerId: alice.id });
    await getDb().vm.update({ where: { id: vm.id }, data: { projectId: p.id } });
    assert.deepEqual(await projects.remove(p.id), { removed: false, vmCount: 1 });
    assert.ok(await projects.byId(p.id), 'the project is still there');

    // A VM sits in its project and on its host, inside the host's cluster and datacenter.
    assert.deepEqual(await roleBindings.enclosingScopes('vm', vm.id), [
      { kind: 'vm', id: vm.id },
      { kind: 'project', id: p.id },
      { kind: 'host', id: host.id },
      { kind: 'cluster', id: cluster.id },
      { kind: 'datacenter', id: cluster.datacenterId },
      { kind: 'system', id: '' },
    ]);
    assert.equal(await roleBindings.enclosingScopes('vm', 'no-such-vm'), null);

    await getDb().vm.delete({ where: { id: vm.id } });
    assert.deepEqual(await projects.remove(p.id), { removed: true });
    assert.deepEqual(await roleBindings.forScope('project', p.id), [], 'its bindings went with it');
    assert.deepEqual(await projects.publishedIds([p.id], 'template'), [], 'and its publications');
  });
});

describe('moving a VM between projects', () => {
  test('carries its quota share: the old project gets it back, the new one is charged, delete frees it', async () => {
    const a = await projects.create({ name: 'move-a', quota: { Vms: 1 } });
    const b = await projects.create({ name: 'move-b', quota: { Vms: 0 } });
    const owner = await users.create({ username: 'mover', password: 'password-m', role: 'user' });
    const template = await testTemplate(db, 'tiny-move');
    const cluster = await clusters.ensure('DC-m', 'C-m');
    const host = await testHost(db, 'host-m', cluster.id);
    const vm = await testVm(db, 'vm-move', { hostId: host.id, templateId: template.id, ownerId: owner.id });
    const used = async (id: string) => (await projects.byId(id))?.used;

    await db.vms.setProject(vm.id, a.id);
    assert.deepEqual(await used(a.id), { Vms: 1, Vcpus: 1, MemoryMiB: 64, DiskGiB: 0, Snapshots: 0 });
    await db.vms.setProject(vm.id, a.id);
    assert.equal((await used(a.id))?.Vms, 1, 'moving into the same project charges nothing more');
    // An administrator's move is charged past the limit (b allows 0 VMs).
    await db.vms.setProject(vm.id, b.id);
    assert.deepEqual(await used(a.id), { Vms: 0, Vcpus: 0, MemoryMiB: 0, DiskGiB: 0, Snapshots: 0 });
    assert.equal((await used(b.id))?.Vms, 1);
    assert.equal(await db.vms.delete(vm.id), true);
    assert.equal((await used(b.id))?.Vms, 0, 'deleting the VM gives its share back');
  });
});

describe('flavors', () => {
  test('seeded once; an admin change survives a re-seed', async () => {
    const defaults = [
      { name: 'S', description: '', vcpus: 1, memoryMiB: 256, sortOrder: 10 },
      { name: 'M', description: '', vcpus: 2, memoryMiB: 1024, sortOrder: 20 },
    ];
    assert.equal(await flavors.ensure(defaults), 2);
    const s = (await flavors.list()).find((f) => f.name === 'S');
    assert.ok(s);
    await flavors.update(s.id, { memoryMiB: 512 });
    assert.equal(await flavors.ensure(defaults), 0);
    assert.deepEqual(
      (await flavors.list()).map((f) => [f.name, f.vcpus, f.memoryMiB]),
      [
        ['S', 1, 512],
        ['M', 2, 1024],
      ],
    );
    assert.equal(await flavors.remove(s.id), true);
    assert.equal(await flavors.remove(s.id), false);
  });
});
