/**
 * HA settings through the API (issue 9): readable refusals for out-of-bounds timeouts, a VM
 * depending on itself or in a cycle, bad fence device options; admission control refusing (or
 * warning about) an HA VM that could not be restarted after a host failure; events recorded.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { admin, createTestVm, rejection, removeVms } from '../support/api.ts';

test('HA settings: bounds, dependencies, admission control, fence device validation', async () => {
  const { api } = await admin();
  const vmIds: string[] = [];
  const groupIds: string[] = [];
  const a = await createTestVm(api, 'has-a', { start: false });
  vmIds.push(a.vmId);
  const b = await createTestVm(api, 'has-b', { start: false });
  vmIds.push(b.vmId);
  const hostId = a.vm.hostId;
  assert.ok(hostId);
  const clusterId = (await api.inventory.tree.query()).hosts.find((h) => h.id === hostId)?.clusterId ?? '';
  assert.ok(clusterId);
  const saved = await api.haSettings.cluster.query({ clusterId });
  const { clusterId: _c, clusterName: _n, hostCount, monitorBy: _b, monitorAt: _a, ...defaults } = saved;
  after(async () => {
    await api.haSettings.updateCluster.mutate({ clusterId, ...defaults }).catch(() => {});
    for (const groupId of groupIds) await api.affinity.delete.mutate({ groupId }).catch(() => {});
    await removeVms(api, vmIds);
  });
  assert.equal(defaults.hostDownAfterS, 10);
  assert.equal(defaults.admission, 'warn');

  // Cluster bounds: each refusal says what is allowed.
  const tooShort = await rejection(api.haSettings.updateCluster.mutate({ clusterId, ...defaults, hostDownAfterS: 1 }));
  assert.equal(tooShort.code, 'BAD_INPUT');
  assert.match(tooShort.message, /at least 5 s/);
  const stale = await rejection(
    api.haSettings.updateCluster.mutate({ clusterId, ...defaults, heartbeatIntervalS: 5, heartbeatStaleAfterS: 6 }),
  );
  assert.equal(stale.code, 'BAD_INPUT');
  assert.match(stale.message, /2 intervals \(10 s\)/);
  const reserve = await rejection(
    api.haSettings.updateCluster.mutate({ clusterId, ...defaults, reserveHostFailures: hostCount }),
  );
  assert.equal(reserve.code, 'BAD_INPUT');
  assert.match(reserve.message, new RegExp(`at most ${hostCount - 1} failures`));

  // VM: priority bounds, no self-dependency, no cycle.
  const prio = await rejection(
    api.haSettings.setVm.mutate({ vmId: a.vmId, enabled: true, priority: 101, dependsOnVmId: null }),
  );
  assert.equal(prio.code, 'BAD_INPUT');
  const self = await rejection(
    api.haSettings.setVm.mutate({ vmId: a.vmId, enabled: true, priority: 1, dependsOnVmId: a.vmId }),
  );
  assert.match(self.message, /cannot depend on itself/);
  const on = await api.haSettings.setVm.mutate({ vmId: a.vmId, enabled: true, priority: 60, dependsOnVmId: b.vmId });
  assert.equal(on.settings.enabled, true);
  assert.equal(on.settings.dependsOnName, b.vm.name);
  const cycle = await rejection(
    api.haSettings.setVm.mutate({ vmId: b.vmId, enabled: true, priority: 1, dependsOnVmId: a.vmId }),
  );
  assert.equal(cycle.code, 'CONFLICT');
  assert.match(cycle.message, /cycle/);
  assert.equal((await api.haSettings.vm.query({ vmId: b.vmId })).enabled, false);

  // Admission control: b is pinned to its host by a hard VM-to-host rule, so no other host may
  // restart it. With one host failure reserved, 'refuse' refuses turning HA on, naming it.
  const group = await api.affinity.create.mutate({ name: `has-pin-${Date.now()}`, kind: 'affinity', hard: true });
  groupIds.push(group.id);
  await api.affinity.addVms.mutate({ groupId: group.id, vmIds: [b.vmId] });
  await api.affinity.setHosts.mutate({ groupId: group.id, hostIds: [b.vm.hostId ?? ''] });
  await api.haSettings.updateCluster.mutate({ clusterId, ...defaults, reserveHostFailures: 1, admission: 'refuse' });
  const refused = await rejection(
    api.haSettings.setVm.mutate({ vmId: b.vmId, enabled: true, priority: 5, dependsOnVmId: null }),
  );
  assert.equal(refused.code, 'CONFLICT', refused.message);
  assert.match(refused.message, new RegExp(`Admission control refuses: .*${b.vm.name}`));
  assert.equal((await api.haSettings.vm.query({ vmId: b.vmId })).enabled, false);
  const okBefore = await api.haSettings.admission.query({ clusterId });
  assert.ok(!okBefore.wouldNotFit.some((w) => w.vmId === b.vmId), 'b is not HA yet, so not in the report');
  // 'warn' lets it through with the warning, and the report names it.
  await api.haSettings.updateCluster.mutate({ clusterId, ...defaults, reserveHostFailures: 1, admission: 'warn' });
  const warned = await api.haSettings.setVm.mutate({ vmId: b.vmId, enabled: true, priority: 5, dependsOnVmId: null });
  assert.equal(warned.settings.enabled, true);
  assert.match(warned.warning ?? '', new RegExp(b.vm.name));
  const report = await api.haSettings.admission.query({ clusterId });
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.wouldNotFit.map((w) => w.vmName),
    [b.vm.name],
  );
  assert.ok(report.scenarios.some((s) => s.restarts.some((r) => r.vmId === a.vmId && r.toHostId !== a.vm.hostId)));
  await api.haSettings.setVm.mutate({ vmId: b.vmId, enabled: false, priority: 5, dependsOnVmId: null });
  assert.equal((await api.haSettings.admission.query({ clusterId })).ok, true);

  // Fence device: names and values validated; the password never comes back, and sending the
  // masked value back keeps it (the device is still "configured with a password").
  const badAgent = await rejection(api.haSettings.setFence.mutate({ hostId, agent: 'rm -rf', options: {} }));
  assert.equal(badAgent.code, 'BAD_INPUT');
  const badName = await rejection(
    api.haSettings.setFence.mutate({ hostId, agent: 'fence_ipmilan', options: { 'Bad-Name': 'x' } }),
  );
  assert.equal(badName.code, 'BAD_INPUT');
  const badValue = await rejection(
    api.haSettings.setFence.mutate({ hostId, agent: 'fence_ipmilan', options: { ip: '10.0.0.1\naction=off' } }),
  );
  assert.equal(badValue.code, 'BAD_INPUT');
  assert.match(badValue.message, /line break/);
  const set = await api.haSettings.setFence.mutate({
    hostId,
    agent: 'fence_ipmilan',
    options: { ip: '10.0.0.1', username: 'root', password: 's3cret-pw' },
  });
  assert.deepEqual(set.options, { ip: '10.0.0.1', username: 'root', password: '********' });
  const kept = await api.haSettings.setFence.mutate({
    hostId,
    agent: 'fence_ipmilan',
    options: { ip: '10.0.0.2', username: 'root', password: '********' },
  });
  assert.equal(kept.options.password, '********');
  assert.equal(kept.options.ip, '10.0.0.2');
  const cleared = await api.haSettings.setFence.mutate({ hostId, agent: '', options: {} });
  assert.deepEqual(cleared.options, {});
  const noDevice = await rejection(api.haSettings.testFence.mutate({ hostId }));
  assert.equal(noDevice.code, 'INVALID_STATE');

  const events = await api.event.list.query();
  assert.ok(events.some((e) => e.kind === 'vm.ha' && e.message.includes(a.vm.name)));
  assert.ok(events.some((e) => e.kind === 'cluster.ha'));
  assert.ok(events.some((e) => e.kind === 'host.fence'));
  assert.ok(!events.some((e) => e.message.includes('s3cret-pw')), 'no event shows the password');
});
