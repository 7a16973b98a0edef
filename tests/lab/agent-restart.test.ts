/**
 * A killed agent marks its host offline; restarted, the host comes back with the same identity
 * and a VM list that matches libvirt, including a change made while the agent was away.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { admin, createTestVm, rejection, waitTask } from '../support/api.ts';
import { hostOfDomain, labHostsAllOnline, virsh, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);
const stackCtl = (...args: string[]) => exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 60_000 });

test('kill an agent: host offline; restart: same host, accurate VMs', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'agent');
  const labHost = await hostOfDomain(vm.uuid);
  assert.ok(labHost && vm.hostId);
  const hostsBefore = await api.host.list.query();
  after(async () => {
    await stackCtl('start-agents');
    await waitFor('host back', async () => labHostsAllOnline(await api.host.list.query()), 30_000, 250);
    const current = await api.vm.byId.query({ vmId });
    if (current.state !== 'shutoff') await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  });

  await stackCtl('stop-agent', labHost.name, '--kill');
  await waitFor(
    'host offline',
    async () => (await api.host.list.query()).find((h) => h.id === vm.hostId)?.status === 'offline',
    15_000,
    100,
  );

  // Behind Vireo's back while the agent is away.
  const r = await virsh(labHost, 'destroy', vm.uuid);
  assert.equal(r.code, 0, r.stderr);
  const refused = await rejection(api.vm.shutdown.mutate({ vmId }));
  assert.equal(refused.code, 'HOST_OFFLINE', refused.message);
  assert.match(refused.message, /offline/);

  await stackCtl('start-agents');
  await waitFor(
    'host online again',
    async () => (await api.host.list.query()).find((h) => h.id === vm.hostId)?.status === 'online',
    30_000,
    100,
  );
  const hostsAfter = await api.host.list.query();
  assert.deepEqual(
    hostsAfter.map((h) => h.id).sort(),
    hostsBefore.map((h) => h.id).sort(),
    'same hosts, same ids: no duplicate host',
  );
  await waitFor(
    'the VM state re-read from libvirt',
    async () => (await api.vm.byId.query({ vmId })).state === 'shutoff',
    10_000,
    100,
  );
});
