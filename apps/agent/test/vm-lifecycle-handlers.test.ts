/**
 * The lifecycle handlers' state rules over the in-memory FakeHypervisor (the lab test proves the
 * verbs against real libvirt): each verb re-sent after it was done answers with the same state,
 * and a verb the state does not allow is refused with INVALID_STATE.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeHypervisor } from '@vireo/hypervisor';
import { VireoError } from '@vireo/protocol';
import { vmLifecycleHandlers } from '../src/handlers/vm-lifecycle.ts';

async function setup() {
  const hv = new FakeHypervisor({ domains: [{ name: 'web', state: 'running' }] });
  await hv.connect();
  const [uuid] = hv.uuids();
  assert.ok(uuid);
  return { hv, h: vmLifecycleHandlers(hv), uuid };
}

const invalid = (err: unknown) => VireoError.is(err, 'INVALID_STATE', 'vm');

test('pause and resume are idempotent', async () => {
  const { h, uuid } = await setup();
  assert.equal((await h['vm.pause']({ uuid })).domain.state, 'paused');
  assert.equal((await h['vm.pause']({ uuid })).domain.state, 'paused');
  assert.equal((await h['vm.resume']({ uuid })).domain.state, 'running');
  assert.equal((await h['vm.resume']({ uuid })).domain.state, 'running');
});

test('save to disk: shut off "saved", a re-sent save answers the same, start restores', async () => {
  const { hv, h, uuid } = await setup();
  const saved = await h['vm.save']({ uuid });
  assert.deepEqual([saved.domain.state, saved.domain.reason, saved.managedSave], ['shutoff', 'saved', true]);
  assert.equal((await h['vm.save']({ uuid })).managedSave, true);
  const started = await h['vm.startPaused']({ uuid });
  assert.equal(started.domain.state, 'paused');
  assert.equal(await hv.lifecycle.hasManagedSave(uuid), false, 'the restore consumed the save');
});

test('verbs the state does not allow are refused', async () => {
  const { hv, h, uuid } = await setup();
  await hv.destroyDomain(uuid);
  await assert.rejects(h['vm.reboot']({ uuid }), invalid);
  await assert.rejects(h['vm.pause']({ uuid }), invalid);
  await assert.rejects(h['vm.save']({ uuid }), invalid, 'nothing to save on a VM that is off without a save');
  await assert.rejects(h['vm.reset']({ uuid }), invalid);
});
