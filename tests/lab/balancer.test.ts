/**
 * The load balancer on the 3-host lab (issue 8): three running VMs put on one host make the
 * cluster unbalanced; the preview proposes moves off that host, each explained with the metric
 * before → after; a plan whose VM moved meanwhile is refused as stale; applying runs the moves
 * as live migrations under one task, libvirt then runs each moved VM on its new host, and the
 * metric computed afresh is lower than before.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Api, admin, createTestVm, rejection, removeVms, waitTask } from '../support/api.ts';
import { domState, hostOfDomain, type LabHost, lab } from '../support/lab.ts';

let api: Api;
const made: string[] = [];
let hostA: LabHost;
let hostAId: string;
let clusterId: string;
let saved: { balancerMode: 'off' | 'recommend' | 'automatic'; balancerThreshold: number; balancerMaxMoves: number };

before(async () => {
  ({ api } = await admin());
  const first = lab().hosts[0];
  assert.ok(first, 'the lab has hosts');
  hostA = first;
  const known = (await api.host.list.query()).find((h) => h.name === hostA.name);
  assert.ok(known, `host ${hostA.name} is known to the manager`);
  hostAId = known.id;
  clusterId = (await api.inventory.tree.query()).hosts.find((h) => h.id === known.id)?.clusterId ?? '';
  assert.ok(clusterId, 'the host is in a cluster');
  const s = await api.inventory.clusterSettings.query({ clusterId });
  saved = {
    balancerMode: s.balancerMode,
    balancerThreshold: s.balancerThreshold,
    balancerMaxMoves: s.balancerMaxMoves,
  };
});

after(async () => {
  if (clusterId) await api.inventory.setClusterSettings.mutate({ clusterId, settings: saved }).catch(() => {});
  await removeVms(api, made);
});

/** A running VM on host A (created wherever placement puts it, then migrated there if need be). */
async function runningOnA(prefix: string): Promise<{ vmId: string; uuid: string; name: string }> {
  const { vmId, vm } = await createTestVm(api, prefix);
  made.push(vmId);
  if (vm.hostId !== hostAId) {
    const { taskId } = await api.vm.migrate.mutate({ vmId, targetHostId: hostAId });
    const task = await waitTask(api, taskId, 120_000);
    assert.equal(task.state, 'succeeded', `moving ${vm.name} to ${hostA.name}: ${task.errorMessage}`);
  }
  assert.equal((await hostOfDomain(vm.uuid))?.name, hostA.name, `${vm.name} runs on ${hostA.name}`);
  return { vmId, uuid: vm.uuid, name: vm.name };
}

test('an unbalanced cluster: explained moves, a stale plan refused, applied moves make it more balanced', async () => {
  const onA = [];
  for (let i = 1; i <= 3; i++) onA.push(await runningOnA(`lb${i}`));
  // Three small VMs on hosts of several GiB: a gain under a point per move, so a low threshold.
  await api.inventory.setClusterSettings.mutate({
    clusterId,
    settings: { balancerMode: 'recommend', balancerThreshold: 0.1, balancerMaxMoves: 3 },
  });

  const plan = await api.balancer.plan.query({ clusterId });
  assert.match(plan.metric, /standard deviation/);
  assert.ok(plan.moves.length >= 1, `moves proposed: ${plan.summary}`);
  assert.ok(plan.spreadAfter < plan.spreadBefore, `${plan.spreadBefore} → ${plan.spreadAfter}`);
  const ours = new Map(onA.map((v) => [v.vmId, v]));
  for (const m of plan.moves) {
    assert.ok(ours.has(m.vmId), `only the crowded host's VMs move (${m.vmName})`);
    assert.equal(m.fromHostId, hostAId);
    assert.notEqual(m.toHostId, hostAId);
    assert.match(
      m.explanation,
      new RegExp(
        `^move ${m.vmName} \\(\\d+ MiB, 1 vCPU\\) from ${hostA.name} \\(\\d+ % committed\\) to ${m.toHostName} \\(\\d+ %\\): spread [\\d.]+ → [\\d.]+ pts$`,
      ),
    );
    assert.ok(m.spreadAfter < m.spreadBefore);
    assert.equal(m.precheck.ok, true, m.precheck.reason);
  }
  // Previewing moved nothing.
  for (const v of onA) assert.equal((await hostOfDomain(v.uuid))?.name, hostA.name);

  // A plan naming a VM where it no longer is: refused as stale, nothing moves.
  const [firstMove] = plan.moves;
  assert.ok(firstMove);
  const stale = await rejection(
    api.balancer.applyPlan.mutate({
      clusterId,
      moves: [{ vmId: firstMove.vmId, fromHostId: firstMove.toHostId, toHostId: hostAId }],
    }),
  );
  assert.equal(stale.code, 'CONFLICT');
  assert.match(stale.message, new RegExp(`The plan is stale: ${firstMove.vmName} is now on ${hostA.name}`));

  const refs = plan.moves.map((m) => ({ vmId: m.vmId, fromHostId: m.fromHostId, toHostId: m.toHostId }));
  const applied = await api.balancer.applyPlan.mutate({ clusterId, moves: refs });
  assert.ok(applied.taskId, 'the moves run under one task');
  const task = await waitTask(api, applied.taskId, 300_000);
  assert.equal(task.state, 'succeeded', `${task.errorCode} ${task.errorMessage}`);
  assert.match(task.message ?? '', new RegExp(`${plan.moves.length} of ${plan.moves.length} move\\(s\\) done`));

  // libvirt: each moved VM runs on its new host; the others still run on A.
  for (const m of plan.moves) {
    const v = ours.get(m.vmId);
    assert.ok(v);
    const where = await hostOfDomain(v.uuid);
    assert.equal(where?.name, m.toHostName, `${m.vmName} is on ${m.toHostName} in libvirt`);
    assert.equal(await domState(where, v.uuid), 'running', `${m.vmName} keeps running`);
    assert.equal((await api.vm.byId.query({ vmId: v.vmId })).hostId, m.toHostId, 'Vireo agrees');
  }
  for (const v of onA.filter((x) => !plan.moves.some((m) => m.vmId === x.vmId))) {
    assert.equal(await domState(hostA, v.uuid), 'running');
  }

  // The metric afresh is lower; the report has each move's outcome.
  const afresh = await api.balancer.plan.query({ clusterId });
  assert.ok(afresh.spreadBefore < plan.spreadBefore, `spread ${plan.spreadBefore} → ${afresh.spreadBefore}`);
  const status = await api.balancer.status.query({ clusterId });
  // lastRun: the periodic check of the 'recommend' mode may have written its report since.
  assert.equal(status.lastRun?.state, 'done');
  assert.equal(status.lastRun?.taskId, applied.taskId);
  assert.deepEqual(
    status.lastRun?.moves.map((m) => m.status),
    plan.moves.map(() => 'moved'),
  );
  assert.ok((status.lastRun?.spreadAfter ?? Number.POSITIVE_INFINITY) < plan.spreadBefore);
  const events = await api.event.list.query();
  assert.ok(
    JSON.stringify(events).includes('move(s) done; spread of committed memory'),
    'the run is recorded as an event',
  );
});
