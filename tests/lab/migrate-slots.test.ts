/**
 * The cluster's "parallel migrations per host" (set to 1 here) holds on real hosts: a second
 * migration to a host that already receives one waits, its task saying for which host, and its
 * VM stays where it is; once the first ends (cancelled here) the second starts and finishes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Api, admin, createTestVm, removeVms, waitTask } from '../support/api.ts';
import { domState, hostOfDomain, lab, waitFor } from '../support/lab.ts';

let api: Api;
const made: string[] = [];
let restore: (() => Promise<unknown>) | null = null;

before(async () => {
  ({ api } = await admin());
});

after(async () => {
  await restore?.();
  await removeVms(api, made);
});

test('a migration over the per-host limit waits for a slot on that host, then runs', async () => {
  const hosts = await api.host.list.query();
  const labHosts = hosts.filter((h) => lab().hosts.some((l) => l.name === h.name));
  const clusterId = (await api.inventory.tree.query()).clusters.find((c) => c.name === labHosts[0]?.clusterName)?.id;
  assert.ok(clusterId, 'the lab hosts are in a cluster');
  const before = await api.inventory.clusterSettings.query({ clusterId });
  await api.inventory.setClusterSettings.mutate({ clusterId, settings: { migrationParallelPerHost: 1 } });
  restore = () =>
    api.inventory.setClusterSettings.mutate({
      clusterId,
      settings: { migrationParallelPerHost: before.migrationParallelPerHost },
    });

  const a = await createTestVm(api, 'slota');
  made.push(a.vmId);
  const b = await createTestVm(api, 'slotb');
  made.push(b.vmId);
  const fromA = await hostOfDomain(a.vm.uuid);
  let fromB = await hostOfDomain(b.vm.uuid);
  assert.ok(fromA && fromB);
  // The VMs must not share their source host: the second migration would then wait for a slot on
  // that host (the source is checked first), not on the target this test is about.
  if (fromB.name === fromA.name) {
    const elsewhere = labHosts.find((h) => h.name !== fromA.name);
    assert.ok(elsewhere);
    const moved = await waitTask(
      api,
      (await api.vm.migrate.mutate({ vmId: b.vmId, targetHostId: elsewhere.id })).taskId,
      120_000,
    );
    assert.equal(moved.state, 'succeeded', `${moved.errorCode} ${moved.errorMessage}`);
    fromB = await hostOfDomain(b.vm.uuid);
    assert.ok(fromB && fromB.name !== fromA.name);
  }
  // One target for both: a lab host neither VM is on (the lab has three).
  const target = labHosts.find((h) => h.name !== fromA.name && h.name !== fromB.name);
  assert.ok(target, 'a host free of both VMs');

  const first = await api.vm.migrate.mutate({ vmId: a.vmId, targetHostId: target.id, bandwidthMiBs: 1 });
  await waitFor(
    'the first migration to run',
    async () => /Migrating: /.test((await api.task.byId.query({ taskId: first.taskId })).message ?? ''),
    60_000,
    200,
  );
  const second = await api.vm.migrate.mutate({ vmId: b.vmId, targetHostId: target.id });
  await waitFor(
    'the second migration to wait for a slot',
    async () =>
      (await api.task.byId.query({ taskId: second.taskId })).message ===
      `Waiting for a migration slot on ${target.name}`,
    30_000,
    200,
  );
  // It really waits: three seconds on, nothing of B on the target and B still running at home.
  await new Promise((r) => setTimeout(r, 3000));
  const waiting = await api.task.byId.query({ taskId: second.taskId });
  assert.equal(waiting.state, 'running');
  assert.equal(waiting.message, `Waiting for a migration slot on ${target.name}`);
  const targetLab = lab().hosts.find((h) => h.name === target.name);
  assert.ok(targetLab);
  assert.equal(await domState(targetLab, b.vm.uuid), null, 'B has not started moving');
  assert.equal(await domState(fromB, b.vm.uuid), 'running');

  await api.vm.cancelMigrate.mutate({ taskId: first.taskId });
  const firstDone = await waitTask(api, first.taskId, 60_000);
  assert.equal(firstDone.errorCode, 'CANCELLED');
  const secondDone = await waitTask(api, second.taskId, 120_000);
  assert.equal(secondDone.state, 'succeeded', `${secondDone.errorCode} ${secondDone.errorMessage}`);
  assert.equal(await domState(targetLab, b.vm.uuid), 'running');
  assert.equal((await api.vm.byId.query({ vmId: b.vmId })).hostName, target.name);
});
