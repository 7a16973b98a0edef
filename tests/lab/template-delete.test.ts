/**
 * Deleting template versions and templates on the real lab: refused (naming the VMs) while a VM
 * was made from them; otherwise the rows go and their base volumes are deleted from the pool by
 * an agent (checked with virsh inside a lab host). A base another template's version shares stays.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { admin, type Api, rejection, uniqueName, waitTask } from '../support/api.ts';
import { type LabHost, lab, virsh } from '../support/lab.ts';

let api: Api;
let host: LabHost;
const vms: string[] = [];

before(async () => {
  ({ api } = await admin());
  host = lab().hosts[0] as LabHost;
});

after(async () => {
  for (const vmId of vms) {
    const vm = await api.vm.byId.query({ vmId }).catch(() => null);
    if (vm) await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
  }
});

/** Volume names in the `default` pool, as libvirt on a lab host lists them. */
async function poolVolumes(): Promise<string[]> {
  await virsh(host, 'pool-refresh', 'default');
  const out = (await virsh(host, 'vol-list', '--pool', 'default')).stdout;
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/** Imports the lab guest's BIOS disk into the default pool as `name`, as the seed does. */
async function importBase(name: string): Promise<void> {
  const image = JSON.parse(
    readFileSync(process.env.VIREO_TEMPLATE_IMAGE_JSON ?? '/var/lib/vireo-lab/images/image.json', 'utf8'),
  );
  const hostId = (await api.host.list.query()).find((h) => h.status === 'online')?.id;
  assert.ok(hostId);
  const imp = await api.image.import.mutate({
    hostId,
    sourcePath: image.bootDisks.bios,
    pool: 'default',
    name,
    format: 'qcow2',
  });
  const task = await waitTask(api, imp.taskId, 120_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
}

async function template(id: string) {
  return (await api.template.list.query()).find((t) => t.id === id);
}

test('a used version or template is refused naming its VMs; an unused version and then the template go with their bases', async () => {
  const name = uniqueName('tdel');
  const [b1, b2] = [`${name}-v1.qcow2`, `${name}-v2.qcow2`];
  await importBase(b1);
  await importBase(b2);
  const { templateId, versionId: v1 } = await api.template.create.mutate({
    name,
    version: { firmware: 'bios', disks: [{ pool: 'default', volume: b1 }] },
  });
  const { versionId: v2 } = await api.template.publishVersion.mutate({
    templateId,
    version: { firmware: 'bios', disks: [{ pool: 'default', volume: b2 }] },
  });
  // Another template shares b2: deleting this template's v2 must keep that base.
  const sharer = await api.template.create.mutate({
    name: uniqueName('tshare'),
    version: { firmware: 'bios', disks: [{ pool: 'default', volume: b2 }] },
  });

  const vmName = uniqueName('tdelvm');
  const created = await api.vm.create.mutate({
    name: vmName,
    templateId,
    templateVersionId: v1,
    diskMode: 'linked',
    vcpus: 1,
    memoryMiB: 128,
    start: false,
  });
  vms.push(created.vmId);
  assert.equal((await waitTask(api, created.taskId, 120_000)).state, 'succeeded');

  const refusedVersion = await rejection(api.template.deleteVersion.mutate({ versionId: v1 }));
  assert.equal(refusedVersion.code, 'CONFLICT');
  assert.match(refusedVersion.message, new RegExp(vmName));
  const refusedTemplate = await rejection(api.template.delete.mutate({ templateId }));
  assert.equal(refusedTemplate.code, 'CONFLICT');
  assert.match(refusedTemplate.message, new RegExp(vmName));
  assert.equal((await template(templateId))?.versions.length, 2, 'nothing went');
  assert.ok((await poolVolumes()).includes(b1), 'the used base stays');

  // v2 has no VM: it goes; its base is shared with another template, so it stays in the pool.
  const gone2 = await api.template.deleteVersion.mutate({ versionId: v2 });
  assert.deepEqual(gone2.deletedVolumes, []);
  assert.deepEqual(
    (await template(templateId))?.versions.map((v) => v.id),
    [v1],
  );
  assert.ok((await poolVolumes()).includes(b2), 'a base another version names stays');

  // The sharer goes now, and b2 with it (no version names it any more).
  const goneSharer = await api.template.delete.mutate({ templateId: sharer.templateId });
  assert.deepEqual(goneSharer.deletedVolumes, [`default/${b2}`]);
  assert.ok(!(await poolVolumes()).includes(b2), 'the base left the pool');

  // Once the VM is deleted, the whole template goes with its remaining base.
  const del = await waitTask(api, (await api.vm.delete.mutate({ vmId: created.vmId })).taskId);
  assert.equal(del.state, 'succeeded', del.errorMessage ?? '');
  const gone = await api.template.delete.mutate({ templateId });
  assert.deepEqual(gone, { deletedVolumes: [`default/${b1}`], keptVolumes: [] });
  assert.equal(await template(templateId), undefined);
  assert.ok(!(await poolVolumes()).includes(b1), 'the base left the pool');
});

test('a base that a volume outside Vireo’s VMs is a linked clone of is refused before anything goes', async () => {
  const name = uniqueName('tdep');
  const base = `${name}-v1.qcow2`;
  await importBase(base);
  const { templateId } = await api.template.create.mutate({
    name,
    version: { firmware: 'bios', disks: [{ pool: 'default', volume: base }] },
  });
  const clone = `${name}-clone.qcow2`;
  const c = await api.storage.cloneVolume.mutate({
    pool: 'default',
    name: clone,
    source: { pool: 'default', name: base },
    mode: 'linked',
    format: 'qcow2',
  });
  assert.equal((await waitTask(api, c.taskId)).state, 'succeeded');
  const refused = await rejection(api.template.delete.mutate({ templateId }));
  assert.equal(refused.code, 'CONFLICT');
  assert.match(refused.message, /linked clone/);
  assert.ok(await template(templateId), 'the template stays');

  const d = await api.storage.deleteVolume.mutate({ pool: 'default', name: clone });
  assert.equal((await waitTask(api, d.taskId)).state, 'succeeded');
  const gone = await api.template.delete.mutate({ templateId });
  assert.deepEqual(gone.deletedVolumes, [`default/${base}`]);
  assert.ok(!(await poolVolumes()).includes(base));
});
