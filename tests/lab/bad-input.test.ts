/**
 * Bad input is refused with a clear, specific message, and nothing is created: neither a row
 * in Vireo nor a domain in libvirt.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin, listAllVms, rejection, uniqueName, waitTask, defaultTemplate } from '../support/api.ts';
import { allDomainUuids } from '../support/lab.ts';

test('invalid VM input is rejected with clear messages and creates nothing', async () => {
  const { api } = await admin();
  const template = await defaultTemplate(api);
  assert.ok(template);
  const domainsBefore = await allDomainUuids();
  const vmsBefore = (await listAllVms(api)).length;
  const good = { name: uniqueName('bad'), templateId: template.id, vcpus: 1, memoryMiB: 128, start: false };

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['empty name', { name: '' }, /name: Name is required/],
    ['blank name', { name: '   ' }, /name: Name is required/],
    ['too long', { name: 'a'.repeat(64) }, /at most 63 characters/],
    ['XML metacharacters', { name: 'vm<b>&"x' }, /only letters, digits/],
    ['script tag', { name: '<script>alert(1)</script>' }, /only letters, digits/],
    ['path separator', { name: '../etc' }, /only letters, digits/],
    ['memory too small', { memoryMiB: 16 }, /Memory must be at least 64 MiB/],
    ['memory not whole', { memoryMiB: 100.5 }, /whole number/],
    ['vCPUs zero', { vcpus: 0 }, /vCPUs must be at least 1/],
    ['vCPUs too many', { vcpus: 1000 }, /vCPUs must be at most 64/],
  ];
  for (const [label, patch, message] of cases) {
    const r = await rejection(api.vm.create.mutate({ ...good, ...patch } as typeof good));
    assert.equal(r.code, 'BAD_INPUT', `${label}: ${r.message}`);
    assert.match(r.message, message, label);
  }

  const unknownTemplate = await rejection(api.vm.create.mutate({ ...good, templateId: 'no-such-template' }));
  assert.equal(unknownTemplate.code, 'NOT_FOUND');
  assert.match(unknownTemplate.message, /template does not exist/);

  const tooBig = await rejection(api.vm.create.mutate({ ...good, memoryMiB: 1024 * 1024 }));
  assert.equal(tooBig.code, 'NO_HOST_CAPACITY');
  assert.match(tooBig.message, /No online host has 1048576 MiB/);

  assert.deepEqual(await allDomainUuids(), domainsBefore, 'no domain was defined in libvirt');
  assert.equal((await listAllVms(api)).length, vmsBefore, 'no VM record was created');

  // A name that is taken: the first create works, the second is refused and changes nothing.
  const first = await api.vm.create.mutate(good);
  assert.equal((await waitTask(api, first.taskId)).state, 'succeeded');
  const domainsWithOne = await allDomainUuids();
  const dup = await rejection(api.vm.create.mutate(good));
  assert.equal(dup.code, 'CONFLICT');
  assert.match(dup.message, new RegExp(`A VM named "${good.name}" already exists`));
  assert.deepEqual(await allDomainUuids(), domainsWithOne);
  assert.equal((await listAllVms(api)).length, vmsBefore + 1);
  await waitTask(api, (await api.vm.delete.mutate({ vmId: first.vmId })).taskId);
  assert.deepEqual(await allDomainUuids(), domainsBefore);
});
