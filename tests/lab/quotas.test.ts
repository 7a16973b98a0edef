/**
 * Project quotas against real hosts (issue 10): 20 concurrent creates from a member that
 * together pass the project's quota of 3 VMs: exactly 3 succeed, the others are refused with
 * QUOTA_EXCEEDED, and libvirt holds exactly 3 domains of the project. Then the approval queue: a
 * request over quota, approved by the project's owner, makes a real VM (owned by the requester);
 * a rejection reaches the requester with its note; a restricted template cannot be used directly.
 * Each VM's template disk counts against the disk quota at its virtual size (qemu-img's figure
 * for the seeded template's base, read here on the shared storage), so a disk quota refuses too.
 * The project and its members are written into the stack's database (tests/support/projects.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { admin, defaultTemplate, loginAs, rejection, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { allDomainUuids, hostOfDomain, virsh } from '../support/lab.ts';
import {
  closeProjectsDb,
  copyOfDefaultTemplate,
  grantOnProject,
  makeProject,
  publishTemplate,
  removeProject,
  removeTemplate,
  templateDisk,
} from '../support/projects.ts';

type Client = Awaited<ReturnType<typeof admin>>;
let root: Client;
let member: Client;
let owner: Client;
let memberId: string;
let projectId: string;
let templateId: string;
const made: string[] = [];
const cleanup: (() => Promise<void>)[] = [];

async function newUser(): Promise<{ id: string; client: Client }> {
  const username = uniqueName('q').toLowerCase();
  const user = await root.api.user.create.mutate({ username, password: 'quota-password-1', role: 'user' });
  return { id: user.id, client: await loginAs(username, 'quota-password-1') };
}

before(async () => {
  root = await admin();
  const m = await newUser();
  const o = await newUser();
  member = m.client;
  memberId = m.id;
  owner = o.client;
  const project = await makeProject('quota', { Vms: 3, Vcpus: 8 });
  projectId = project.id;
  await grantOnProject(m.id, 'member', projectId);
  await grantOnProject(o.id, 'owner', projectId);
  templateId = (await defaultTemplate(root.api)).id;
  templateDiskPath = (await templateDisk(templateId)) ?? '';
  assert.ok(templateDiskPath, 'the seeded template has a base disk');
});

after(async () => {
  await removeVms(root.api, made);
  for (const f of cleanup) await f();
  await removeProject(projectId).catch(() => {});
  await closeProjectsDb();
});

/** Whole GiB the seeded template's disk takes: its base's virtual size, rounded up. */
function templateDiskGiB(): number {
  const path = templateDiskPath;
  const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-U', path], { encoding: 'utf8' }));
  return Math.ceil((info['virtual-size'] as number) / 1024 ** 3);
}
let templateDiskPath = '';

const small = (name: string) => ({ name, templateId, vcpus: 1, memoryMiB: 128, start: false, projectId });

test('quota race: 20 concurrent creates against a quota of 3 VMs; exactly 3 pass, libvirt holds 3', async () => {
  const prefix = uniqueName('qrace');
  const names = Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`);
  const results = await Promise.allSettled(names.map((n) => member.api.vm.create.mutate(small(n))));
  const passed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  made.push(...passed.map((p) => p.vmId));
  const refused = await Promise.all(
    results.flatMap((r) => (r.status === 'rejected' ? [rejection(Promise.reject(r.reason))] : [])),
  );
  assert.equal(passed.length, 3, `passed: ${passed.length}; refusals: ${refused.map((r) => r.message).join(' | ')}`);
  assert.deepEqual(new Set(refused.map((r) => r.code)), new Set(['QUOTA_EXCEEDED']));
  assert.match(
    refused[0]?.message ?? '',
    /^Project quota-[^:]+: 3 of 3 VMs in use; this adds 1\. Ask for more, or request approval\.$/,
  );

  for (const p of passed) assert.equal((await waitTask(member.api, p.taskId)).state, 'succeeded');
  const vms = await Promise.all(passed.map((p) => root.api.vm.byId.query({ vmId: p.vmId })));
  const inLibvirt = await allDomainUuids();
  assert.equal(vms.filter((v) => inLibvirt.includes(v.uuid)).length, 3);
  const ours = (await root.api.vm.list.query({ name: prefix, limit: 100 })).rows;
  assert.equal(ours.length, 3, 'no record beyond the 3 either');

  const usage = await member.api.quota.usage.query({ projectId });
  const diskGiB = templateDiskGiB();
  assert.ok(diskGiB > 0, 'the base has a size');
  assert.deepEqual(usage.used, { Vms: 3, Vcpus: 3, MemoryMiB: 384, DiskGiB: 3 * diskGiB, Snapshots: 0 });
  // A request that could never be approved is refused at once: its name is taken.
  const taken = vms[0]?.name ?? '';
  const asked = await rejection(member.api.vmRequest.submit.mutate(small(taken)));
  assert.equal(asked.code, 'CONFLICT', asked.message);
});

test('approval: a request over quota needs an administrator (not the project owner); approved, a real VM for the requester', async () => {
  const name = uniqueName('qreq');
  // Direct: refused. As a request: pending, seen in the owner's queue with its cost and the usage.
  assert.equal((await rejection(member.api.vm.create.mutate(small(name)))).code, 'QUOTA_EXCEEDED');
  const req = await member.api.vmRequest.submit.mutate(small(name));
  assert.equal(req.state, 'pending');
  assert.equal(req.reason, 'quota');
  const queue = await owner.api.vmRequest.queue.query({ state: 'pending' });
  const seen = queue.find((r) => r.id === req.id);
  assert.ok(seen, 'the owner sees the request');
  assert.deepEqual(seen.cost, { Vms: 1, Vcpus: 1, MemoryMiB: 128, DiskGiB: templateDiskGiB(), Snapshots: 0 });
  assert.equal(seen.templateDiskUnknown, false, 'a host read the template disk');
  assert.equal(seen.project?.used.Vms, 3);
  assert.equal(seen.project?.quota.Vms, 3);
  assert.equal(seen.overQuota, true);
  // The requester cannot approve its own request; an outsider does not even see it.
  assert.equal((await rejection(member.api.vmRequest.approve.mutate({ id: req.id }))).code, 'FORBIDDEN');
  assert.deepEqual(await (await newUser()).client.api.vmRequest.queue.query({}), []);

  // Passing the quota is an administrator's call, as changing the quota is: the owner's queue
  // says so instead of offering the button, and the API refuses it with the request untouched.
  assert.match(seen.approveBlocked ?? '', /only an administrator may approve it/);
  const byOwner = await rejection(owner.api.vmRequest.approve.mutate({ id: req.id, note: 'mine to give' }));
  assert.equal(byOwner.code, 'FORBIDDEN');
  assert.match(byOwner.message, /only an administrator may approve it .*3 of 3 VMs in use; this adds 1\.$/);
  assert.equal(
    (await owner.api.vmRequest.queue.query({ state: 'pending' })).some((r) => r.id === req.id),
    true,
  );
  const approved = await root.api.vmRequest.approve.mutate({ id: req.id, note: 'for the demo' });
  made.push(approved.vmId);
  assert.equal(approved.forced, true);
  assert.equal((await waitTask(root.api, approved.taskId)).state, 'succeeded');
  const vm = await member.api.vm.byId.query({ vmId: approved.vmId });
  assert.equal(vm.name, name);
  assert.equal(vm.ownerId, memberId, 'the requester owns the VM');
  assert.ok(await hostOfDomain(vm.uuid), 'libvirt has the VM');
  assert.equal((await member.api.quota.usage.query({ projectId })).used.Vms, 4, 'recorded over the quota');

  const mine = (await member.api.vmRequest.mine.query()).find((r) => r.id === req.id);
  assert.equal(mine?.state, 'approved');
  assert.equal(mine?.vmId, approved.vmId);
  assert.match(mine?.note ?? '', /^for the demo \(approved over quota: Project .*: 3 of 3 VMs in use; this adds 1\)$/);
  const notified = (await root.api.event.list.query()).some(
    (e) => e.kind === 'vmRequest.approved' && e.message.includes(name),
  );
  assert.ok(notified, 'an event for the requester');
  // Decided once.
  assert.equal((await rejection(root.api.vmRequest.approve.mutate({ id: req.id }))).code, 'INVALID_STATE');
});

test('rejection carries a note to the requester; a restricted template is for requests only', async () => {
  const restricted = await copyOfDefaultTemplate('qrestricted');
  await publishTemplate(projectId, restricted.id);
  cleanup.push(() => removeTemplate(restricted.id));
  await root.api.quota.setTemplateRestricted.mutate({ templateId: restricted.id, restricted: true });
  const input = { ...small(uniqueName('qrst')), templateId: restricted.id };
  // The repair finds the counters right (4 VMs, one approved over the quota).
  const recount = await root.api.quota.recount.mutate({ projectId });
  assert.deepEqual(recount.after, recount.before);
  assert.equal(recount.after.Vms, 4);
  // The template is checked before the quota: it needs an approver whatever the room.
  const direct = await rejection(member.api.vm.create.mutate(input));
  assert.equal(direct.code, 'FORBIDDEN', direct.message);
  assert.match(direct.message, /restricted/);
  const req = await member.api.vmRequest.submit.mutate(input);
  assert.match(req.reason, /restricted/);
  await owner.api.vmRequest.reject.mutate({ id: req.id, note: 'use the standard template' });
  const mine = (await member.api.vmRequest.mine.query()).find((r) => r.id === req.id);
  assert.equal(mine?.state, 'rejected');
  assert.equal(mine?.note, 'use the standard template');
  assert.equal(mine?.approverName !== null, true);
});

test('a disk quota one GiB short of the template’s disk refuses the create, naming the disk', async () => {
  const diskGiB = templateDiskGiB();
  const tight = await makeProject('qdisk', { DiskGiB: diskGiB - 1 });
  cleanup.push(() => removeProject(tight.id));
  await grantOnProject(memberId, 'member', tight.id);
  const refused = await rejection(member.api.vm.create.mutate({ ...small(uniqueName('qdisk')), projectId: tight.id }));
  assert.equal(refused.code, 'QUOTA_EXCEEDED');
  assert.equal(
    refused.message,
    `Project ${tight.name}: 0 of ${diskGiB - 1} GiB of disk in use; this needs ${diskGiB}. Ask for more, or request approval.`,
  );
  assert.equal((await member.api.quota.usage.query({ projectId: tight.id })).used.DiskGiB, 0, 'nothing held');
  // The create form's preview reads the same figure the server charged (read by a host).
  const preview = await member.api.quota.templateDisk.query({ templateId });
  assert.equal(Math.ceil(preview.bytes / 1024 ** 3), diskGiB);
});

test('the template-disk preview answers only for a template the member may see', async () => {
  const unseen = await copyOfDefaultTemplate('qunseen');
  cleanup.push(() => removeTemplate(unseen.id));
  const refused = await rejection(member.api.quota.templateDisk.query({ templateId: unseen.id }));
  assert.equal(refused.code, 'NOT_FOUND');
  const ghost = await rejection(member.api.quota.templateDisk.query({ templateId: 'no-such-template' }));
  assert.equal(ghost.code, 'NOT_FOUND');
});

test('memory counts at its maximum: an edit raising it past the quota is refused; QEMU, the charge and recount agree', async () => {
  const tight = await makeProject('qmem', { MemoryMiB: 1024 });
  cleanup.push(() => removeProject(tight.id));
  await grantOnProject(memberId, 'member', tight.id);
  const created = await member.api.vm.create.mutate({ ...small(uniqueName('qmem')), projectId: tight.id });
  made.push(created.vmId);
  assert.equal((await waitTask(member.api, created.taskId)).state, 'succeeded');
  const vmId = created.vmId;
  const used = async () => (await member.api.quota.usage.query({ projectId: tight.id })).used;
  assert.equal((await used()).MemoryMiB, 128);

  // Snapshot quota: a name the VM does not have is NOT_FOUND and gives nothing back.
  const snap = await member.api.snapshot.create.mutate({ vmId, name: 'real1', withMemory: false });
  assert.equal((await waitTask(member.api, snap.taskId)).state, 'succeeded');
  assert.equal((await used()).Snapshots, 1);
  const ghost = await rejection(member.api.snapshot.delete.mutate({ vmId, name: 'ghost0' }));
  assert.equal(ghost.code, 'NOT_FOUND');
  assert.match(ghost.message, /has no snapshot ghost0 \(its snapshots are real1\)/);
  assert.equal((await used()).Snapshots, 1, 'a ghost delete frees nothing');
  const del = await member.api.snapshot.delete.mutate({ vmId, name: 'real1' });
  assert.equal((await waitTask(member.api, del.taskId)).state, 'succeeded');
  assert.equal((await used()).Snapshots, 0);

  // 128 MiB with a 2048 MiB maximum: QEMU would allocate 2048 (-m), so it counts 2048: refused.
  const edit = { name: (await member.api.vm.byId.query({ vmId })).name, vcpus: 1, maxVcpus: 8, memoryMiB: 128 };
  const past = await rejection(member.api.vm.edit.mutate({ vmId, ...edit, maxMemoryMiB: 2048 }));
  assert.equal(past.code, 'QUOTA_EXCEEDED', past.message);
  assert.match(past.message, /128 of 1024 MiB of memory in use; this VM needs 1920/);
  const within = await member.api.vm.edit.mutate({ vmId, ...edit, maxMemoryMiB: 512 });
  assert.equal((await waitTask(member.api, within.taskId)).state, 'succeeded');
  assert.equal((await used()).MemoryMiB, 512, 'charged at the maximum');
  const started = await member.api.vm.start.mutate({ vmId });
  assert.equal((await waitTask(member.api, started.taskId)).state, 'succeeded');
  const vm = await member.api.vm.byId.query({ vmId });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  const info = (await virsh(host, 'dominfo', vm.uuid)).stdout;
  assert.match(info, /Max memory:\s+524288 KiB/, info);
  // Whatever libvirt reads back after the start (the balloon's figure), the charge stays.
  assert.equal((await used()).MemoryMiB, 512);
  const recount = await root.api.quota.recount.mutate({ projectId: tight.id });
  assert.deepEqual(recount.after, recount.before, 'the counters were right');
  assert.equal(recount.after.MemoryMiB, 512);
});
