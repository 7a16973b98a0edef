/**
 * Self-service checks that fail before anything reaches a host, on a real (migrated) database:
 * approving past a project's quota needs an administrator, and nobody but an administrator
 * approves its own request (the queue says why instead of offering the button); a bulk dry run
 * skips the VMs the caller's role cannot act on; deleting a snapshot the VM does not have is
 * NOT_FOUND before any task, and frees no snapshot quota.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import { setupTestDb } from '../../db/test/helpers.ts';

const { db, teardown } = await setupTestDb();
const { approveRequest, requestQueue } = await import('../src/services/quotas/requests.ts');
const { planBulkJob } = await import('../src/services/bulk-service.ts');
const { deleteSnapshot } = await import('../src/services/snapshots.ts');
after(teardown);

type User = { id: string; username: string; role: 'user' | 'admin' };
const w = {} as { admin: User; owner: User; member: User; viewer: User; projectId: string; templateId: string };

async function user(username: string, role: 'user' | 'admin' = 'user'): Promise<User> {
  const u = await db.users.create({ username, password: `pw-${username}-long`, role });
  return { id: u.id, username, role };
}

before(async () => {
  const template = await db.templates.upsert({
    name: 'qa-kernel',
    description: '',
    kernelPath: '/k',
    initrdPath: '/i',
    diskPath: null,
    cmdline: '',
    defaultVcpus: 1,
    defaultMemoryMiB: 128,
  });
  const project = await db.projects.create({ name: 'qa', quota: { Vms: 1 } });
  const [admin, owner, member, viewer] = await Promise.all([
    user('qa-admin', 'admin'),
    user('qa-owner'),
    user('qa-member'),
    user('qa-viewer'),
  ]);
  for (const [u, role] of [
    [owner, 'owner'],
    [member, 'member'],
    [viewer, 'viewer'],
  ] as const) {
    await db.roleBindings.grant({ userId: u.id, role, scopeKind: 'project', scopeId: project.id });
  }
  await db.projects.publish(project.id, 'template', template.id);
  Object.assign(w, { admin, owner, member, viewer, projectId: project.id, templateId: template.id });
});

const inputFor = (name: string) =>
  JSON.stringify({ name, templateId: w.templateId, vcpus: 1, memoryMiB: 128, projectId: w.projectId });

async function refusal(p: Promise<unknown>): Promise<VireoError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(VireoError.is(err), `expected a VireoError, got ${String(err)}`);
  return err;
}

test('past the quota only an administrator approves; an owner never approves its own request', async () => {
  // The project is full: one VM of one.
  const full = await db.vms.createCharged({
    uuid: randomUUID(),
    name: 'qa-full',
    templateId: w.templateId,
    ownerId: w.member.id,
    vcpus: 1,
    memoryMiB: 128,
    projectId: w.projectId,
  });
  assert.ok(full.ok);
  const byMember = await db.vmRequests.create({
    requesterId: w.member.id,
    projectId: w.projectId,
    input: inputFor('qa-asked'),
    reason: 'quota',
  });
  const byOwner = await db.vmRequests.create({
    requesterId: w.owner.id,
    projectId: w.projectId,
    input: inputFor('qa-own'),
    reason: 'quota',
  });

  const overQuota = await refusal(approveRequest(byMember.id, w.owner, ''));
  assert.equal(overQuota.code, 'FORBIDDEN');
  assert.match(overQuota.message, /only an administrator may approve it .*1 of 1 VMs in use; this adds 1\.$/);
  const own = await refusal(approveRequest(byOwner.id, w.owner, ''));
  assert.equal(own.code, 'FORBIDDEN');
  assert.match(own.message, /^You asked for this VM: another approver of the project decides it\.$/);
  // Refused before anything was recorded: both still pending, nothing charged.
  for (const id of [byMember.id, byOwner.id]) assert.equal((await db.vmRequests.byId(id))?.state, 'pending');
  assert.equal((await db.projects.byId(w.projectId))?.used.Vms, 1);

  // The queue says why instead of offering the button; an administrator may approve both.
  const ownerQueue = new Map((await requestQueue(w.owner, 'pending')).map((r) => [r.id, r.approveBlocked]));
  assert.match(ownerQueue.get(byMember.id) ?? '', /only an administrator/);
  assert.match(ownerQueue.get(byOwner.id) ?? '', /^You asked for this VM/);
  const adminQueue = await requestQueue(w.admin, 'pending');
  assert.deepEqual(
    adminQueue.filter((r) => [byMember.id, byOwner.id].includes(r.id)).map((r) => r.approveBlocked),
    [null, null],
  );

  // Within the quota (a restricted template's request) the owner approves a member's request, not its own.
  await db.vms.delete(full.vm.id);
  const ownerQueueNow = new Map((await requestQueue(w.owner, 'pending')).map((r) => [r.id, r.approveBlocked]));
  assert.equal(ownerQueueNow.get(byMember.id), null);
  assert.match(ownerQueueNow.get(byOwner.id) ?? '', /^You asked for this VM/);
  for (const id of [byMember.id, byOwner.id]) {
    await db.vmRequests.decide(id, { state: 'cancelled' });
  }
});

test('a bulk dry run skips the VMs the caller’s role cannot act on, saying so', async () => {
  const vm = await db.vms.create({
    uuid: randomUUID(),
    name: 'qa-bulk',
    templateId: w.templateId,
    ownerId: w.member.id,
    vcpus: 1,
    memoryMiB: 128,
    projectId: w.projectId,
    state: 'shutoff',
  });
  const target = { vmIds: [vm.id] };
  const asViewer = await planBulkJob(w.viewer, { action: 'delete', target });
  assert.deepEqual(
    asViewer.items.map((i) => [i.outcome, i.message]),
    [['skip', 'Skipped: your role does not allow delete on it']],
  );
  assert.equal(asViewer.run, 0);
  const start = await planBulkJob(w.viewer, { action: 'start', target });
  assert.equal(start.items[0]?.message, 'Skipped: your role does not allow operate on it');
  // The VM's owner may delete it: the plan goes on to its other checks (no host here).
  const asOwner = await planBulkJob(w.member, { action: 'delete', target });
  assert.equal(asOwner.items[0]?.message, 'Skipped: it has no host');
  await db.vms.delete(vm.id);
});

test('deleting a snapshot the VM does not have is NOT_FOUND, with no task and no quota freed', async () => {
  const vm = await db.vms.create({
    uuid: randomUUID(),
    name: 'qa-snap',
    templateId: w.templateId,
    ownerId: w.member.id,
    vcpus: 1,
    memoryMiB: 128,
    projectId: w.projectId,
    state: 'shutoff',
  });
  await db.snapshots.replaceForVm(vm.id, [
    { name: 'real1', parent: null, current: true, description: '', withMemory: false, state: 'shutoff', createdAt: 0 },
  ]);
  await db.quotas.reserve(w.projectId, { Snapshots: 1 });
  const record = await db.vms.byId(vm.id);
  assert.ok(record);
  const ghost = await refusal(deleteSnapshot(record, 'ghost0', w.member.id));
  assert.equal(ghost.code, 'NOT_FOUND');
  assert.match(ghost.message, /^VM qa-snap has no snapshot ghost0 \(its snapshots are real1, as last read/);
  assert.equal((await db.projects.byId(w.projectId))?.used.Snapshots, 1, 'nothing given back');
  assert.equal(await db.tasks.latestForVm(vm.id, ['snapshot.delete']), null, 'no task made');
  await db.vms.delete(vm.id);
});
