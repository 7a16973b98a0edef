/**
 * Scheduled snapshots on a real lab guest: a schedule whose first run is due now is taken by the
 * manager's ticker as a visible task; "Run now" takes the next one at once, and its retention
 * (keep the last one) deletes the older one, in libvirt. The test stack ticks every 2 s
 * (VIREO_SNAPSHOT_TICK_S), so no test waits for a whole minute.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin, createTestVm, rejection, waitTask } from '../support/api.ts';
import { hostOfDomain, virsh, waitFor } from '../support/lab.ts';

test('a schedule takes snapshots as tasks and keeps only the last N; Run now runs it at once', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'snapsched', { start: false });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  const noSchedule = await rejection(api.snapshot.runScheduleNow.mutate({ vmId }));
  assert.equal(noSchedule.code, 'NOT_FOUND', 'Run now without a schedule is refused');
  const farAway = await rejection(
    api.snapshot.setSchedule.mutate({
      vmId,
      schedule: { intervalMinutes: 60, keepLast: 1, startAt: new Date(Date.now() + 400 * 86_400_000).toISOString() },
    }),
  );
  assert.equal(farAway.code, 'BAD_INPUT', 'a first run more than a year away is refused');

  const set = await api.snapshot.setSchedule.mutate({
    vmId,
    schedule: {
      intervalMinutes: 60,
      withMemory: false,
      keepLast: 1,
      keepDays: null,
      enabled: true,
      startAt: new Date().toISOString(),
    },
  });
  assert.equal(set?.keepLast, 1);
  const autos = async () =>
    (await virsh(host, 'snapshot-list', vm.uuid, '--name')).stdout
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('auto-'));

  // The ticker takes the first run (due now) without anyone asking.
  const first = await waitFor('the first scheduled snapshot in libvirt', async () => (await autos())[0], 60_000, 500);
  const tasks = (await api.task.list.query()).filter((t) => t.vmId === vmId && t.kind === 'snapshot.scheduled');
  assert.equal(tasks.length, 1, 'the run is one task');
  assert.equal((await waitTask(api, tasks[0]?.id ?? '', 30_000)).state, 'succeeded');
  const after = await api.snapshot.schedule.query({ vmId });
  assert.ok(after && Date.parse(after.nextRunAt) > Date.now() + 55 * 60_000, 'the next run is an interval on');

  // Run now: another snapshot at once and, keeping the last one, the first is deleted.
  const { taskId } = await api.snapshot.runScheduleNow.mutate({ vmId });
  assert.equal((await waitTask(api, taskId, 60_000)).state, 'succeeded');
  const second = await waitFor(
    'a second scheduled snapshot, the first pruned',
    async () => {
      const now = await autos();
      return now.length === 1 && now[0] !== first ? now[0] : null;
    },
    60_000,
    500,
  );
  const list = (await api.snapshot.list.query({ vmId })).snapshots;
  assert.deepEqual(
    list.map((s) => [s.name, s.scheduled]),
    [[second, true]],
  );
  const kinds = (await api.task.list.query()).filter((t) => t.vmId === vmId).map((t) => t.kind);
  assert.ok(kinds.includes('snapshot.delete'), `retention ran as a task (${kinds.join(', ')})`);
  await waitFor(
    'the retention task to end',
    async () =>
      (await api.task.list.query()).filter((t) => t.vmId === vmId && t.state === 'running').length === 0 || null,
    30_000,
    500,
  );

  await api.snapshot.setSchedule.mutate({ vmId, schedule: null });
  assert.equal(await api.snapshot.schedule.query({ vmId }), null);
  const deleted = await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  assert.equal(deleted.state, 'succeeded', deleted.errorMessage ?? '');
});
