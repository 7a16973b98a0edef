/**
 * Scheduled snapshots on a real lab guest: a schedule of one minute keeping the last one takes a
 * snapshot as a visible task, and the next run's retention deletes the older one, in libvirt.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin, createTestVm, waitTask } from '../support/api.ts';
import { hostOfDomain, virsh, waitFor } from '../support/lab.ts';

test('a schedule takes snapshots as tasks and keeps only the last N', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'snapsched', { start: false });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  const set = await api.snapshot.setSchedule.mutate({
    vmId,
    schedule: { intervalMinutes: 1, withMemory: false, keepLast: 1, keepDays: null, enabled: true },
  });
  assert.equal(set?.keepLast, 1);
  const autos = async () =>
    (await virsh(host, 'snapshot-list', vm.uuid, '--name')).stdout
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('auto-'));

  const first = await waitFor('the first scheduled snapshot in libvirt', async () => (await autos())[0], 110_000, 1000);
  const tasks = (await api.task.list.query()).filter((t) => t.vmId === vmId && t.kind === 'snapshot.scheduled');
  assert.ok(tasks.length >= 1, 'the run is a task');
  await waitTask(api, tasks[0]?.id ?? '', 30_000);

  // The next run takes another and, keeping the last one, deletes the first.
  const second = await waitFor(
    'a second scheduled snapshot, the first pruned',
    async () => {
      const now = await autos();
      return now.length === 1 && now[0] !== first ? now[0] : null;
    },
    110_000,
    1000,
  );
  const list = (await api.snapshot.list.query({ vmId })).snapshots;
  assert.deepEqual(
    list.map((s) => [s.name, s.scheduled]),
    [[second, true]],
  );
  const kinds = (await api.task.list.query()).filter((t) => t.vmId === vmId).map((t) => t.kind);
  assert.ok(kinds.includes('snapshot.delete'), `retention ran as a task (${kinds.join(', ')})`);

  await api.snapshot.setSchedule.mutate({ vmId, schedule: null });
  assert.equal(await api.snapshot.schedule.query({ vmId }), null);
  const deleted = await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  assert.equal(deleted.state, 'succeeded', deleted.errorMessage ?? '');
});
