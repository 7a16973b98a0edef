/**
 * Autostart with the host, applied by the manager when a host's agent connects: the host's
 * autostart VMs that libvirt has not run since it came up start in order, with the delay between
 * them; one an admin forced off stays off. Checked through libvirt (virsh domstate) and the
 * manager's own record of when each start happened.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { admin, defaultTemplate, uniqueName, waitTask } from '../support/api.ts';
import { domState, hostOfDomain, lab, labHostsAllOnline, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);
const stackCtl = (...args: string[]) => exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 60_000 });
const DELAY_S = 8;

test('autostart VMs start in order with their delay when the agent connects; a forced-off one stays off', async () => {
  const { api } = await admin();
  const template = await defaultTemplate(api);
  const made: { vmId: string; uuid: string; hostId: string | null; name: string }[] = [];
  after(async () => {
    await stackCtl('start-agents');
    for (const { vmId } of made) {
      const vm = await api.vm.byId.query({ vmId }).catch(() => null);
      if (!vm) continue;
      if (vm.state !== 'shutoff') await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
      await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
    }
  });
  // One VM more than there are hosts: at least two share one, and their order can be seen.
  for (let i = 0; i <= lab().hosts.length; i++) {
    const { taskId, vmId } = await api.vm.create.mutate({
      name: uniqueName('auto'),
      templateId: template.id,
      vcpus: 1,
      memoryMiB: 128,
      start: false,
    });
    const task = await waitTask(api, taskId);
    assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
    const vm = await api.vm.byId.query({ vmId });
    made.push({ vmId, uuid: vm.uuid, hostId: vm.hostId, name: vm.name });
  }
  const shared = made.find((a) => made.filter((b) => b.hostId === a.hostId).length >= 2);
  assert.ok(shared);
  const [first, second] = made.filter((m) => m.hostId === shared.hostId);
  const other = made.find((m) => m !== first && m !== second);
  assert.ok(first && second && other);
  // Created in the other order on purpose: the order setting decides, not creation or name.
  await api.vm.setAutostart.mutate({ vmId: second.vmId, autostart: true, order: 1, delayS: DELAY_S });
  await api.vm.setAutostart.mutate({ vmId: first.vmId, autostart: true, order: 2, delayS: 0 });
  assert.deepEqual(await api.vm.autostart.query({ vmId: second.vmId }), { autostart: true, order: 1, delayS: DELAY_S });
  // The third was run and forced off by an admin: libvirt says "destroyed", so it stays off.
  await api.vm.setAutostart.mutate({ vmId: other.vmId, autostart: true, order: 0, delayS: 0 });
  await waitTask(api, (await api.vm.start.mutate({ vmId: other.vmId })).taskId);
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId: other.vmId })).taskId);

  const hostsByName = await api.host.list.query();
  for (const h of hostsByName) await stackCtl('stop-agent', h.name, '--kill');
  await waitFor(
    'hosts offline',
    async () => (await api.host.list.query()).every((h) => h.status === 'offline'),
    20_000,
    200,
  );
  await stackCtl('start-agents');
  await waitFor('hosts back', async () => labHostsAllOnline(await api.host.list.query()), 30_000, 250);

  const labHost = await hostOfDomain(first.uuid);
  assert.ok(labHost);
  await waitFor(
    'both autostart VMs running in libvirt',
    async () =>
      (await domState(labHost, first.uuid)) === 'running' && (await domState(labHost, second.uuid)) === 'running',
    60_000,
    250,
  );
  const started = async (vmId: string) => {
    const e = (await api.event.list.query()).find((ev) => ev.vmId === vmId && ev.kind === 'vm.autostart');
    assert.ok(e, 'the autostart is recorded');
    assert.match(e.message, /autostarted/);
    return Date.parse(e.at);
  };
  const gap = (await started(first.vmId)) - (await started(second.vmId));
  assert.ok(gap >= DELAY_S * 1000, `order 1 first, then order 2 after its ${DELAY_S} s delay (gap ${gap} ms)`);
  const otherHost = await hostOfDomain(other.uuid);
  assert.ok(otherHost);
  assert.equal(await domState(otherHost, other.uuid), 'shut off', 'the VM forced off by an admin stays off');
  assert.equal((await api.vm.byId.query({ vmId: other.vmId })).state, 'shutoff');
});
