/**
 * The walking skeleton's main path on real libvirt hosts: create from the template (linked
 * clone), start, see the banner on the serial line, shut down gracefully, delete — checked in
 * libvirt and on disk at every step, not only in Vireo's own state.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { admin, listAllVms, uniqueName, waitTask, defaultTemplate } from '../support/api.ts';
import { domState, hostOfDomain, lab, waitFor } from '../support/lab.ts';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('create → start → banner → graceful shutdown → delete, on a real lab host', async () => {
  const { api } = await admin();
  const template = await defaultTemplate(api);
  assert.ok(template, 'the seeded default template exists');
  const baseImage = JSON.parse(
    readFileSync(process.env.VIREO_TEMPLATE_IMAGE_JSON ?? '/var/lib/vireo-lab/images/image.json', 'utf8'),
  ).disk as string;
  const baseBefore = sha256(baseImage);

  const name = uniqueName('life');
  const { taskId, vmId } = await api.vm.create.mutate({
    name,
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
  });
  const created = await waitTask(api, taskId);
  assert.equal(created.state, 'succeeded', created.errorMessage ?? '');
  const vm = await api.vm.byId.query({ vmId });
  assert.equal(vm.state, 'shutoff');

  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is defined on one of the lab hosts');
  assert.equal(await domState(host, vm.uuid), 'shut off');
  const overlay = `${lab().sharedDir}/vms/${vm.uuid}.qcow2`;
  assert.ok(existsSync(overlay), 'the linked clone (overlay) exists');

  const started = await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId);
  assert.equal(started.state, 'succeeded', started.errorMessage ?? '');
  assert.equal(await domState(host, vm.uuid), 'running');
  assert.equal((await api.vm.byId.query({ vmId })).state, 'running');

  const serialLog = `${lab().sharedDir}/vms/${vm.uuid}.serial.log`;
  await waitFor(
    'the guest banner on the serial line',
    async () => existsSync(serialLog) && readFileSync(serialLog, 'utf8').includes(`VIREO GUEST ${name} READY`),
    60_000,
    250,
  );

  const stopped = await waitTask(api, (await api.vm.shutdown.mutate({ vmId })).taskId);
  assert.equal(stopped.state, 'succeeded', stopped.errorMessage ?? '');
  assert.equal(await domState(host, vm.uuid), 'shut off');
  assert.equal((await api.vm.byId.query({ vmId })).state, 'shutoff');

  const deleted = await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  assert.equal(deleted.state, 'succeeded', deleted.errorMessage ?? '');
  assert.equal(await domState(host, vm.uuid), null, 'the domain is gone from libvirt');
  assert.ok(!existsSync(overlay), 'the overlay disk is gone');
  assert.ok(existsSync(baseImage), 'the template base image is still there');
  assert.equal(sha256(baseImage), baseBefore, 'the template base image is unchanged');
  assert.equal(
    (await listAllVms(api)).some((v) => v.id === vmId),
    false,
  );
});
