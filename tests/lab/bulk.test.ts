/**
 * Bulk actions on real lab guests: a saved search of exactly 10 tagged VMs, its dry run, a run
 * that reports per VM, and one VM made to fail behind Vireo's back (its disk moved away on shared
 * storage, so libvirt refuses to start it) without stopping the other nine. Checked in libvirt.
 */
import assert from 'node:assert/strict';
import { existsSync, renameSync } from 'node:fs';
import { test } from 'node:test';
import { admin, createTestVm, rejection, uniqueName, waitTask } from '../support/api.ts';
import { domState, hostOfDomain, lab, virsh } from '../support/lab.ts';

test('a saved search of 10 VMs: dry run, start with one failing, force off, delete', async () => {
  const { api } = await admin();
  const tag = uniqueName('bulk');

  // Ten small VMs, defined but not started, five at a time.
  const made: { vmId: string; name: string; uuid: string }[] = [];
  for (let batch = 0; batch < 2; batch++) {
    const vms = await Promise.all(Array.from({ length: 5 }, () => createTestVm(api, 'bulk', { start: false })));
    made.push(...vms.map(({ vmId, vm }) => ({ vmId, name: vm.name, uuid: vm.uuid })));
  }
  made.sort((a, b) => a.name.localeCompare(b.name));
  const ids = made.map((v) => v.vmId);

  // Tag them with a bulk job on the selection.
  const tagPlan = await api.bulk.plan.query({ action: 'tag', tag, target: { vmIds: ids } });
  assert.equal(tagPlan.run, 10);
  const tagJob = await waitTask(
    api,
    (await api.bulk.run.mutate({ plan: { action: 'tag', tag, target: { vmIds: ids } }, confirmVmIds: ids })).taskId,
  );
  assert.equal(tagJob.state, 'succeeded', tagJob.errorMessage ?? '');
  const tagged = await api.vm.list.query({ tag, limit: 50 });
  assert.equal(tagged.total, 10);
  assert.ok(tagged.rows.every((r) => r.tags.includes(tag)));
  assert.match((await rejection(api.vm.list.query({ tag: 'Not A Tag!' }))).message, /tag/i);

  const search = await api.savedSearch.save.mutate({ name: `bulk ${tag}`, filter: { tag } });
  assert.ok((await api.savedSearch.list.query()).some((s) => s.id === search.id && s.filter.tag === tag));
  const target = { savedSearchId: search.id };

  // One already running (skipped), one whose disk is gone (fails at run time).
  const [running, broken] = made as [(typeof made)[0], (typeof made)[0], ...typeof made];
  const started = await waitTask(api, (await api.vm.start.mutate({ vmId: running.vmId })).taskId);
  assert.equal(started.state, 'succeeded', started.errorMessage ?? '');
  const overlay = `${lab().sharedDir}/vms/${broken.uuid}.qcow2`;
  assert.ok(existsSync(overlay), 'the broken VM has its overlay on shared storage');

  const dry = await api.bulk.plan.query({ action: 'start', target });
  assert.deepEqual(
    dry.items.map((i) => i.vmName),
    made.map((v) => v.name),
    'the dry run lists exactly the 10 VMs of the saved search',
  );
  for (const item of dry.items) {
    if (item.vmId === running.vmId)
      assert.deepEqual([item.outcome, item.message], ['skip', 'Skipped: already running']);
    else assert.deepEqual([item.outcome, item.message], ['run', 'will be started']);
  }
  assert.deepEqual([dry.run, dry.skip], [9, 1]);
  const confirmVmIds = dry.items.filter((i) => i.outcome === 'run').map((i) => i.vmId);

  // A run whose confirmation no longer matches the plan is refused.
  assert.equal(
    (await rejection(api.bulk.run.mutate({ plan: { action: 'start', target }, confirmVmIds: confirmVmIds.slice(1) })))
      .code,
    'CONFLICT',
  );

  renameSync(overlay, `${overlay}.away`);
  try {
    const job = await waitTask(
      api,
      (await api.bulk.run.mutate({ plan: { action: 'start', target }, confirmVmIds })).taskId,
      120_000,
    );
    assert.equal(job.kind, 'vm.bulk');
    assert.equal(job.state, 'failed', 'a job with a failed VM ends failed');
    assert.match(job.errorMessage ?? '', /8 done, 1 failed, 1 skipped/);
    const items = await api.bulk.items.query({ taskId: job.id });
    assert.equal(items.length, 10);
    for (const item of items) {
      if (item.vmId === running.vmId) assert.equal(item.outcome, 'skipped');
      else if (item.vmId === broken.vmId) {
        assert.equal(item.outcome, 'failed');
        assert.ok(item.childTaskId, 'the failed VM ran its own start task');
        assert.ok(item.message.length > 0);
      } else {
        assert.equal(item.outcome, 'succeeded', `${item.vmName}: ${item.message}`);
        assert.ok(item.childTaskId);
      }
    }
  } finally {
    renameSync(`${overlay}.away`, overlay);
  }
  for (const vm of made) {
    const host = await hostOfDomain(vm.uuid);
    assert.ok(host, `${vm.name} is defined in libvirt`);
    assert.equal(await domState(host, vm.uuid), vm === broken ? 'shut off' : 'running', vm.name);
  }

  // Snapshot two of them in one job: a running one with memory, the stopped one disk-only.
  const pair = [made.find((v) => v !== broken)!, broken];
  const snapPlan = await api.bulk.plan.query({ action: 'snapshot', target: { vmIds: pair.map((v) => v.vmId) } });
  const said = new Map(snapPlan.items.map((i) => [i.vmId, i.message]));
  assert.equal(said.get(pair[0]!.vmId), 'will get a snapshot with memory (it keeps running)');
  assert.equal(said.get(broken.vmId), 'will get a disk-only snapshot');
  const snapJob = await waitTask(
    api,
    (
      await api.bulk.run.mutate({
        plan: { action: 'snapshot', target: { vmIds: pair.map((v) => v.vmId) } },
        confirmVmIds: snapPlan.items.map((i) => i.vmId),
      })
    ).taskId,
    180_000,
  );
  assert.equal(snapJob.state, 'succeeded', snapJob.errorMessage ?? '');
  for (const vm of pair) {
    const host = await hostOfDomain(vm.uuid);
    assert.ok(host);
    const list = await virsh(host, 'snapshot-list', vm.uuid, '--name');
    assert.match(list.stdout, /^bulk-\S+$/m, `${vm.name} has the job's snapshot in libvirt`);
  }

  // Force off the nine; the broken one is skipped as already off.
  const offPlan = await api.bulk.plan.query({ action: 'forceOff', target });
  assert.deepEqual([offPlan.run, offPlan.skip], [9, 1]);
  assert.equal(offPlan.items.find((i) => i.vmId === broken.vmId)?.message, 'Skipped: already off');
  const off = await waitTask(
    api,
    (
      await api.bulk.run.mutate({
        plan: { action: 'forceOff', target },
        confirmVmIds: offPlan.items.filter((i) => i.outcome === 'run').map((i) => i.vmId),
      })
    ).taskId,
    120_000,
  );
  assert.equal(off.state, 'succeeded', off.errorMessage ?? '');
  const hosts = new Map<string, Awaited<ReturnType<typeof hostOfDomain>>>();
  for (const vm of made) {
    const host = await hostOfDomain(vm.uuid);
    hosts.set(vm.uuid, host);
    assert.equal(host && (await domState(host, vm.uuid)), 'shut off', vm.name);
  }

  // Delete all ten: gone from libvirt.
  const delPlan = await api.bulk.plan.query({ action: 'delete', target });
  assert.equal(delPlan.run, 10);
  const del = await waitTask(
    api,
    (await api.bulk.run.mutate({ plan: { action: 'delete', target }, confirmVmIds: delPlan.items.map((i) => i.vmId) }))
      .taskId,
    120_000,
  );
  assert.equal(del.state, 'succeeded', del.errorMessage ?? '');
  for (const vm of made) {
    const host = hosts.get(vm.uuid);
    assert.ok(host);
    assert.equal(await domState(host, vm.uuid), null, `${vm.name} is gone from libvirt`);
  }
  assert.equal((await api.vm.list.query({ tag, limit: 0 })).total, 0);
  await api.savedSearch.delete.mutate({ id: search.id });
});
