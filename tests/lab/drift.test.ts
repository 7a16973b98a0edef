/**
 * Config drift: memory, vCPUs and name changed with virsh follow into Vireo. libvirt 9.0 emits no
 * event for `setmem/setmaxmem/setvcpus --config` (only `domrename` sends undefined + defined), so
 * the agent's periodic check against libvirt is what carries those. Names stay unique through
 * Vireo: a clashing rename is a warning, and create refuses a name any domain on a host has.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import {
  admin,
  createTestVm,
  listAllVms,
  rejection,
  type Api,
  uniqueName,
  waitTask,
  defaultTemplate,
} from '../support/api.ts';
import { type LabHost, hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

async function dominfo(host: LabHost, uuid: string) {
  const r = await virsh(host, 'dominfo', uuid);
  assert.equal(r.code, 0, r.stderr);
  const field = (name: string) => new RegExp(`^${name}:\\s+(.+)$`, 'm').exec(r.stdout)?.[1]?.trim() ?? '';
  return {
    name: field('Name'),
    vcpus: Number(field('CPU\\(s\\)')),
    memoryMiB: Number.parseInt(field('Used memory'), 10) / 1024,
    maxMemoryMiB: Number.parseInt(field('Max memory'), 10) / 1024,
  };
}

async function ok(host: LabHost, ...args: string[]) {
  const r = await virsh(host, ...args);
  assert.equal(r.code, 0, `virsh ${args.join(' ')}: ${r.stderr}`);
}

async function deleteVm(api: Api, vmId: string) {
  await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
}

test('setmem/setmaxmem/setvcpus --config and domrename on a shut-off VM follow into Vireo', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'drift', { start: false });
  after(() => deleteVm(api, vmId));
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  assert.deepEqual([vm.state, vm.vcpus, vm.memoryMiB], ['shutoff', 1, 128]);

  await ok(host, 'setmaxmem', vm.uuid, '384M', '--config');
  await ok(host, 'setmem', vm.uuid, '192M', '--config');
  await ok(host, 'setvcpus', vm.uuid, '2', '--config', '--maximum');
  await ok(host, 'setvcpus', vm.uuid, '2', '--config');
  const t0 = Date.now();
  const libvirt = await dominfo(host, vm.uuid);
  assert.deepEqual([libvirt.vcpus, libvirt.memoryMiB, libvirt.maxMemoryMiB], [2, 192, 384]);
  const seen = await waitFor(
    'Vireo to show the new vCPUs and memory',
    async () => {
      const v = await api.vm.byId.query({ vmId });
      return v.vcpus === libvirt.vcpus && v.memoryMiB === libvirt.memoryMiB && v;
    },
    15_000,
  );
  console.log(`setmem/setvcpus (no libvirt event) reached Vireo after ${Date.now() - t0} ms`);
  assert.equal(seen.name, vm.name);

  const renamed = uniqueName('drift-renamed');
  await ok(host, 'domrename', vm.uuid, renamed);
  const t1 = Date.now();
  await waitFor('Vireo to show the new name', async () => (await api.vm.byId.query({ vmId })).name === renamed, 5_000);
  console.log(`domrename reached Vireo after ${Date.now() - t1} ms`);
  const now = await dominfo(host, vm.uuid);
  const shown = await api.vm.byId.query({ vmId });
  assert.deepEqual([shown.name, shown.vcpus, shown.memoryMiB], [now.name, now.vcpus, now.memoryMiB]);
});

test('a rename outside Vireo to another Vireo VM’s name: no duplicate, a warning naming both', async () => {
  const { api } = await admin();
  const a = await createTestVm(api, 'clash-a', { start: false });
  after(() => deleteVm(api, a.vmId));
  const hostA = await hostOfDomain(a.vm.uuid);
  assert.ok(hostA);
  // libvirt itself refuses a duplicate name on one host: the other VM must live on another host.
  // Placement puts the next VM on the emptier host; try a few times in case other VMs are around.
  let b: Awaited<ReturnType<typeof createTestVm>> | undefined;
  for (let i = 0; i < 3 && !b; i++) {
    const next = await createTestVm(api, 'clash-b', { start: false });
    after(() => deleteVm(api, next.vmId));
    if ((await hostOfDomain(next.vm.uuid))?.name !== hostA.name) b = next;
  }
  assert.ok(b, 'a second VM on another host');

  await ok(hostA, 'domrename', a.vm.uuid, b.vm.name);
  const warning = await waitFor(
    'a warning event about the clash',
    async () =>
      (await api.event.list.query()).find(
        (e) =>
          e.severity === 'warning' &&
          e.vmId === a.vmId &&
          e.message.includes(a.vm.name) &&
          e.message.includes(b.vm.name),
      ),
    10_000,
  );
  console.log(`warning: ${warning.message}`);
  const vms = await listAllVms(api);
  const names = vms.map((v) => v.name);
  assert.equal(new Set(names).size, names.length, 'VM names stay unique');
  assert.equal(vms.find((v) => v.id === a.vmId)?.name, a.vm.name, 'the renamed VM keeps its Vireo name');
  assert.equal(vms.find((v) => v.id === b.vmId)?.name, b.vm.name);
  assert.equal((await dominfo(hostA, a.vm.uuid)).name, b.vm.name, 'libvirt has the clashing name');

  // Renamed back in libvirt: Vireo follows again, without a new warning.
  await ok(hostA, 'domrename', a.vm.uuid, `${a.vm.name}-2`);
  await waitFor(
    'the rename back',
    async () => (await api.vm.byId.query({ vmId: a.vmId })).name === `${a.vm.name}-2`,
    5_000,
  );
});

test('placement counts libvirt’s figures: a maximum raised with virsh, and domains Vireo does not manage', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'place', { start: false });
  after(() => deleteVm(api, vmId));
  const hostA = await hostOfDomain(vm.uuid);
  assert.ok(hostA);
  // Every other host gets a foreign domain as big as a host: no host can then take even a small VM.
  const others = lab().hosts.filter((h) => h.name !== hostA.name);
  const hostMiB = Math.ceil(Math.max(...(await api.host.list.query()).map((h) => h.memoryBytes)) / 2 ** 20);
  await ok(hostA, 'setmaxmem', vm.uuid, `${hostMiB}M`, '--config');
  await ok(hostA, 'setmem', vm.uuid, '96M', '--config');
  for (const other of others) {
    const name = uniqueName('foreign-big');
    const xmlPath = `${lab().sharedDir}/${name}.xml`;
    writeFileSync(
      xmlPath,
      `<domain type='qemu'><name>${name}</name><memory unit='MiB'>${hostMiB}</memory><vcpu>1</vcpu>` +
        `<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>`,
    );
    await ok(other, 'define', xmlPath);
    after(async () => {
      await virsh(other, 'undefine', name);
      rmSync(xmlPath, { force: true });
    });
  }
  // The setmem reaching Vireo shows the state that carried the new maximum arrived too.
  await waitFor('the new memory in Vireo', async () => (await api.vm.byId.query({ vmId })).memoryMiB === 96, 15_000);
  await new Promise((r) => setTimeout(r, 500)); // the foreign domain's "defined" event: milliseconds
  const template = await defaultTemplate(api);
  assert.ok(template);
  const refused = await rejection(
    api.vm.create.mutate({ name: uniqueName('nofit'), templateId: template.id, vcpus: 1, memoryMiB: 64, start: false }),
  );
  assert.equal(refused.code, 'NO_HOST_CAPACITY', refused.message);
});

test('create refuses the name of a domain Vireo does not manage', async () => {
  const { api } = await admin();
  const host = lab().hosts[0]!;
  const name = uniqueName('foreign');
  const xmlPath = `${lab().sharedDir}/${name}.xml`;
  writeFileSync(
    xmlPath,
    `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>` +
      `<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>`,
  );
  await ok(host, 'define', xmlPath);
  after(async () => {
    await virsh(host, 'undefine', name);
    rmSync(xmlPath, { force: true });
  });
  await new Promise((r) => setTimeout(r, 1500)); // the "defined" event reaches the manager in ms
  const template = await defaultTemplate(api);
  assert.ok(template);
  const attempt = api.vm.create.mutate({ name, templateId: template.id, vcpus: 1, memoryMiB: 64, start: false });
  const refused = await rejection(attempt);
  assert.equal(refused.code, 'CONFLICT', refused.message);
});

test('a rename that clashed is applied once the VM holding the name is deleted', async () => {
  const { api } = await admin();
  const a = await createTestVm(api, 'clash-c', { start: false });
  after(() => deleteVm(api, a.vmId));
  const hostA = await hostOfDomain(a.vm.uuid);
  assert.ok(hostA);
  let b: Awaited<ReturnType<typeof createTestVm>> | undefined;
  for (let i = 0; i < 3 && !b; i++) {
    const next = await createTestVm(api, 'clash-d', { start: false });
    if ((await hostOfDomain(next.vm.uuid))?.name !== hostA.name) b = next;
    else after(() => deleteVm(api, next.vmId));
  }
  assert.ok(b, 'a second VM on another host');
  await ok(hostA, 'domrename', a.vm.uuid, b.vm.name);
  await waitFor(
    'the clash warning',
    async () => (await api.event.list.query()).some((e) => e.kind === 'vm.nameClash' && e.vmId === a.vmId),
    10_000,
  );
  assert.equal((await api.vm.byId.query({ vmId: a.vmId })).name, a.vm.name);
  await deleteVm(api, b.vmId);
  await waitFor(
    'the waiting rename applied',
    async () => (await api.vm.byId.query({ vmId: a.vmId })).name === b?.vm.name,
    10_000,
  );
});
