/**
 * Placement that explains itself, on the lab: one VM of a hard anti-affinity group per host lands
 * on each host (libvirt says where each domain is), one more member is refused with the group's
 * reason, and the decision kept with the create task names every host and why.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type Api, admin, defaultTemplate, rejection, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { hostOfDomain } from '../support/lab.ts';

test('hard anti-affinity keeps members apart, refuses one more than there are hosts, and says why', async () => {
  const { api } = await admin();
  const template = await defaultTemplate(api);
  const hosts = await api.host.list.query();
  const n = hosts.filter((h) => h.status === 'online').length;
  assert.ok(n >= 2 && n === hosts.length, 'every lab host is online');
  const group = await api.affinity.create.mutate({ name: uniqueName('web'), kind: 'anti-affinity', hard: true });
  const made: string[] = [];
  after(async () => {
    await removeVms(api, made);
    await api.affinity.delete.mutate({ groupId: group.id }).catch(() => {});
  });

  const placed: { vmId: string; name: string; uuid: string; hostId: string | null }[] = [];
  for (let i = 1; i <= n; i++) {
    const name = uniqueName(`web${i}`);
    const { taskId, vmId } = await api.vm.create.mutate({
      name,
      templateId: template.id,
      vcpus: 1,
      memoryMiB: 128,
      affinityGroupId: group.id,
    });
    made.push(vmId);
    const task = await waitTask(api, taskId);
    assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
    const vm = await api.vm.byId.query({ vmId });
    placed.push({ vmId, name, uuid: vm.uuid, hostId: vm.hostId });
  }
  const [first, second] = placed;
  assert.ok(first && second);
  const where = await Promise.all(placed.map((p) => hostOfDomain(p.uuid)));
  assert.ok(
    where.every((h) => h),
    'libvirt has every domain',
  );
  assert.equal(new Set(where.map((h) => h?.name)).size, n, 'libvirt runs them on different hosts');
  assert.equal(new Set(placed.map((p) => p.hostId)).size, n);

  const listed = (await api.affinity.list.query()).find((g) => g.id === group.id);
  assert.deepEqual(listed?.members.map((m) => m.vmId).sort(), placed.map((p) => p.vmId).sort());

  // The second VM's decision: chosen the host the first does not run on; the other excluded
  // by the group, naming the first VM.
  const why = await api.placement.forVm.query({ vmId: second.vmId });
  assert.ok(why, 'a decision was kept');
  assert.equal(why.chosen?.hostId, second.hostId);
  assert.deepEqual(why.hosts.map((h) => h.hostName).sort(), hosts.map((h) => h.name).sort(), 'every host named');
  const chosen = why.hosts.find((h) => h.hostId === second.hostId);
  assert.ok(chosen?.score && chosen.score.total > 0 && chosen.excluded === null, JSON.stringify(chosen));
  const other = why.hosts.find((h) => h.hostId === first.hostId);
  assert.equal(other?.excluded?.filter, 'affinity');
  assert.equal(other?.excluded?.reason, `anti-affinity group ${group.name}: ${first.name} runs here`);
  // The first VM was placed with every host open: all have scores.
  const firstWhy = await api.placement.forVm.query({ vmId: first.vmId });
  assert.equal(firstWhy?.hosts.filter((h) => h.score !== null).length, n);

  const refused = await rejection(
    api.vm.create.mutate({
      name: uniqueName('web3'),
      templateId: template.id,
      vcpus: 1,
      memoryMiB: 128,
      affinityGroupId: group.id,
    }),
  );
  assert.equal(refused.code, 'NO_HOST_CAPACITY', refused.message);
  for (const p of placed)
    assert.match(refused.message, new RegExp(`anti-affinity group ${group.name}: ${p.name} runs here`));

  // Leaving the group frees the rule: a VM removed from it no longer excludes its host.
  await api.affinity.removeVms.mutate({ groupId: group.id, vmIds: [first.vmId] });
  const third = await api.vm.create.mutate({
    name: uniqueName('web3'),
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    affinityGroupId: group.id,
  });
  made.push(third.vmId);
  assert.equal((await waitTask(api, third.taskId)).state, 'succeeded');
  assert.equal((await api.vm.byId.query({ vmId: third.vmId })).hostId, first.hostId);

  // Deleting a VM takes it out of its groups.
  await removeVms(api, [third.vmId]);
  const after3 = (await api.affinity.list.query()).find((g) => g.id === group.id);
  assert.deepEqual(
    after3?.members.map((m) => m.vmId).sort(),
    placed
      .slice(1)
      .map((p) => p.vmId)
      .sort(),
  );
});

test('affinity groups: names are unique, admins only', async () => {
  const { api } = await admin();
  const name = uniqueName('db');
  const g = await api.affinity.create.mutate({ name, kind: 'affinity', hard: false });
  after(() => api.affinity.delete.mutate({ groupId: g.id }).catch(() => {}));
  const dup = await rejection(api.affinity.create.mutate({ name, kind: 'anti-affinity', hard: true }));
  assert.equal(dup.code, 'CONFLICT');
  const missing = await rejection(api.affinity.addVms.mutate({ groupId: g.id, vmIds: ['no-such-vm'] }));
  assert.equal(missing.code, 'NOT_FOUND');
});

test('a VM-to-host rule: a hard affinity group’s VMs go only to its host', async () => {
  const { api } = await admin();
  const template = await defaultTemplate(api);
  const hosts = (await api.host.list.query()).sort((a, b) => a.name.localeCompare(b.name));
  // Two VMs: spread alone would put the second on the other host, so the rule is what keeps both here.
  const target = hosts.at(-1);
  assert.ok(target);
  const group = await api.affinity.create.mutate({ name: uniqueName('pin'), kind: 'affinity', hard: true });
  const made: string[] = [];
  after(async () => {
    await removeVms(api, made);
    await api.affinity.delete.mutate({ groupId: group.id }).catch(() => {});
  });
  const set = await api.affinity.setHosts.mutate({ groupId: group.id, hostIds: [target.id] });
  assert.deepEqual(set.hosts, [{ hostId: target.id, hostName: target.name }]);
  for (let i = 0; i < 2; i++) {
    const { taskId, vmId } = await api.vm.create.mutate({
      name: uniqueName('pin'),
      templateId: template.id,
      vcpus: 1,
      memoryMiB: 128,
      affinityGroupId: group.id,
    });
    made.push(vmId);
    assert.equal((await waitTask(api, taskId)).state, 'succeeded');
    const vm = await api.vm.byId.query({ vmId });
    assert.equal((await hostOfDomain(vm.uuid))?.name, target.name, 'libvirt runs it on the group’s host');
    const reasons = await otherHostsReasons(api, vmId, target.id);
    assert.deepEqual(
      reasons,
      hosts.slice(0, -1).map(() => `affinity group ${group.name}: its VMs go only to ${target.name}`),
      'every other host is excluded by the rule',
    );
  }
});

/** Why each host but the chosen one was not chosen, from the VM's kept decision. */
async function otherHostsReasons(api: Api, vmId: string, chosenId: string): Promise<(string | null)[]> {
  const why = await api.placement.forVm.query({ vmId });
  return (why?.hosts ?? []).filter((h) => h.hostId !== chosenId).map((h) => h.excluded?.reason ?? null);
}

test('creates racing into one hard anti-affinity group still land on different hosts', async () => {
  const { api } = await admin();
  const template = await defaultTemplate(api);
  const n = (await api.host.list.query()).filter((h) => h.status === 'online').length;
  const group = await api.affinity.create.mutate({ name: uniqueName('race'), kind: 'anti-affinity', hard: true });
  const made: string[] = [];
  after(async () => {
    await removeVms(api, made);
    await api.affinity.delete.mutate({ groupId: group.id }).catch(() => {});
  });
  // All at once: each placement runs before the others are recorded.
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      api.vm.create.mutate({
        name: uniqueName(`race${i}`),
        templateId: template.id,
        vcpus: 1,
        memoryMiB: 128,
        affinityGroupId: group.id,
      }),
    ),
  );
  made.push(...created.map((c) => c.vmId));
  for (const c of created) assert.equal((await waitTask(api, c.taskId)).state, 'succeeded');
  const uuids = await Promise.all(created.map(async (c) => (await api.vm.byId.query({ vmId: c.vmId })).uuid));
  const where = await Promise.all(uuids.map((u) => hostOfDomain(u)));
  assert.equal(new Set(where.map((h) => h?.name)).size, n, `libvirt has them on ${where.map((h) => h?.name)}`);
});
