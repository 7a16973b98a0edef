/**
 * The manager can restart without losing anything: sessions persist, agents reconnect by
 * themselves, and what changed in libvirt while it was away is picked up from their full state.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { admin, baseUrl, createTestVm, waitTask } from '../support/api.ts';
import { hostOfDomain, labHostsAllOnline, virsh, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);
const stackCtl = (...args: string[]) => exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 90_000 });

async function hostsOnline(): Promise<number> {
  try {
    const res = await fetch(`${baseUrl()}/api/health`);
    return ((await res.json()) as { hostsOnline: number }).hostsOnline;
  } catch {
    return -1;
  }
}

test('restart the manager: same session, agents back, changes made meanwhile picked up', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'mgr');
  const labHost = await hostOfDomain(vm.uuid);
  assert.ok(labHost);
  const hostsBefore = await hostsOnline();
  after(async () => {
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  });

  await stackCtl('stop-manager');
  const r = await virsh(labHost, 'destroy', vm.uuid);
  assert.equal(r.code, 0, r.stderr);
  await stackCtl('start-manager');

  await waitFor('every agent reconnected', async () => (await hostsOnline()) === hostsBefore, 30_000, 200);
  // The same client, with the cookie from before the restart.
  await waitFor(
    'the VM state re-read from libvirt',
    async () => (await api.vm.byId.query({ vmId })).state === 'shutoff',
    10_000,
    100,
  );
  assert.ok(labHostsAllOnline(await api.host.list.query()));
});
