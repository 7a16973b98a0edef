/**
 * State follows libvirt events: a domain destroyed behind Vireo's back shows up in the
 * manager's live stream within 2 s, pushed, not polled.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { LiveChange } from '@vireo/api';
import { admin, createTestVm, waitTask, watchChanges } from '../support/api.ts';
import { hostOfDomain, virsh, waitFor } from '../support/lab.ts';

test('virsh destroy behind Vireo’s back reaches the manager within 2 s', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'evt');
  assert.equal(vm.state, 'running');
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  after(async () => {
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  });

  const seen: { at: number; change: LiveChange }[] = [];
  const stop = watchChanges(api, (change) => seen.push({ at: Date.now(), change }));
  await new Promise((r) => setTimeout(r, 500)); // let the SSE stream open
  const t0 = Date.now();
  const r = await virsh(host, 'destroy', vm.uuid);
  assert.equal(r.code, 0, r.stderr);
  // libvirt emits "stopped" once QEMU has exited, at the end of `virsh destroy` (which itself
  // takes ~1.5 s for a TCG guest here), so the clock for Vireo's part starts when virsh returns.
  const destroyed = Date.now();
  const hit = await waitFor(
    'the shutoff state in the live stream',
    async () => seen.find((s) => s.change.kind === 'vm' && s.change.vm.id === vmId && s.change.vm.state === 'shutoff'),
    5_000,
    20,
  );
  stop();
  const latency = hit.at - destroyed;
  console.log(`virsh destroy took ${destroyed - t0} ms; then libvirt event → live stream: ${latency} ms`);
  assert.ok(latency <= 2000, `the change reached the stream ${latency} ms after libvirt reported it`);
  assert.equal((await api.vm.byId.query({ vmId })).state, 'shutoff');
});
