/**
 * Nothing is lost or leaked when operations race or libvirt changes behind Vireo's back.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { admin, createTestVm, listAllVms, rejection, waitTask } from '../support/api.ts';
import { domState, hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

test('two operations racing on one VM: one runs, the other is refused as busy', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'race', { start: false });
  const [a, b] = await Promise.allSettled([api.vm.start.mutate({ vmId }), api.vm.delete.mutate({ vmId })]);
  const accepted = [a, b].filter((r) => r.status === 'fulfilled');
  assert.equal(accepted.length, 1, 'exactly one operation is accepted');
  const refused = await rejection(Promise.reject((a.status === 'rejected' ? a : (b as PromiseRejectedResult)).reason));
  assert.equal(refused.code, 'BUSY', refused.message);
  const task = await waitTask(api, (accepted[0] as PromiseFulfilledResult<{ taskId: string }>).value.taskId);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  const host = await hostOfDomain(vm.uuid);
  if (task.kind === 'vm.start') {
    assert.ok(host && (await domState(host, vm.uuid)) === 'running');
    await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  }
  assert.equal(await hostOfDomain(vm.uuid), null);
  assert.ok(!existsSync(`${lab().sharedDir}/vms/${vm.uuid}.qcow2`));
});

test('a VM undefined behind Vireo’s back is shown as unknown, and deleting it still removes its disk', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'undef', { start: false });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  const r = await virsh(host, 'undefine', vm.uuid);
  assert.equal(r.code, 0, r.stderr);
  await waitFor('the VM shown as unknown', async () => (await api.vm.byId.query({ vmId })).state === 'unknown', 5_000);
  const overlay = `${lab().sharedDir}/vms/${vm.uuid}.qcow2`;
  assert.ok(existsSync(overlay), 'the disk outlived the domain');
  const task = await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  assert.ok(!existsSync(overlay), 'the orphaned overlay was removed');
  assert.equal(
    (await listAllVms(api)).some((v) => v.id === vmId),
    false,
  );
});
