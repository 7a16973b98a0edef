/**
 * Disk templates on the real lab: the seeded `vireo-tiny-bios` and `vireo-tiny-uefi` (the lab
 * guest's boot disks imported into the `default` pool by an agent) make VMs that boot from their
 * disk by BIOS and by UEFI. Ten linked clones share one base (qcow2 backing file, the pool grows
 * by their metadata only) and all boot; a full copy has no backing file; a new template version
 * leaves VMs of the old one booting on their base, which cannot be deleted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { admin, type Api, rejection, uniqueName, waitTask, removeVms } from '../support/api.ts';
import { type LabHost, lab, virsh, waitFor } from '../support/lab.ts';

type Template = Awaited<ReturnType<Api['template']['list']['query']>>[number];
let api: Api;
let bios: Template;
let uefi: Template;
let host: LabHost;
const made: string[] = [];

before(async () => {
  ({ api } = await admin());
  const list = await api.template.list.query();
  const find = (name: string) => {
    const t = list.find((x) => x.name === name);
    assert.ok(t, `the seeded template ${name} exists`);
    assert.equal(t.kind, 'disk');
    return t;
  };
  bios = find('vireo-tiny-bios');
  uefi = find('vireo-tiny-uefi');
  host = lab().hosts[0] as LabHost;
});

after(async () => {
  await removeVms(api, made);
});

async function createFrom(
  t: Template,
  opts: { start: boolean; diskMode?: 'linked' | 'full'; versionId?: string; prefix?: string },
) {
  const { taskId, vmId } = await api.vm.create.mutate({
    name: uniqueName(opts.prefix ?? 'tpl'),
    templateId: t.id,
    ...(opts.versionId ? { templateVersionId: opts.versionId } : {}),
    diskMode: opts.diskMode ?? 'linked',
    vcpus: 1,
    memoryMiB: t.versions[0]?.firmware === 'uefi' ? 256 : 128,
    start: opts.start,
  });
  made.push(vmId);
  const task = await waitTask(api, taskId, 180_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  return api.vm.byId.query({ vmId });
}

/** Without a NoCloud seed the disk-booted guest calls itself vireo-guest. */
const serialLog = (uuid: string) => `${lab().sharedDir}/vms/${uuid}.serial.log`;
const ready = (uuid: string) =>
  waitFor(
    `VIREO GUEST READY on ${uuid}'s serial line`,
    async () =>
      existsSync(serialLog(uuid)) && readFileSync(serialLog(uuid), 'utf8').includes('VIREO GUEST vireo-guest READY'),
    150_000,
    250,
  );

async function diskPath(vmId: string): Promise<string> {
  const hw = await api.vm.hardware.query({ vmId });
  const path = hw.disks[0]?.path;
  assert.ok(path, 'the first disk has the path the host reported');
  return path;
}

/** qemu-img's view of a disk file (shared: -U reads it while the VM runs). */
function imageInfo(path: string): { 'backing-filename'?: string; 'full-backing-filename'?: string } {
  return JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', path], { encoding: 'utf8' }));
}

async function poolPath(volume: string): Promise<string> {
  await virsh(host, 'pool-refresh', 'default');
  return (await virsh(host, 'vol-path', '--pool', 'default', volume)).stdout.trim();
}

async function poolAllocation(): Promise<number> {
  await virsh(host, 'pool-refresh', 'default');
  const out = (await virsh(host, 'pool-info', '--bytes', 'default')).stdout;
  const m = /Allocation:\s+(\d+)/.exec(out);
  assert.ok(m, out);
  return Number(m[1]);
}

async function stop(vmId: string) {
  const task = await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
}

test('a VM from the BIOS template and one from the UEFI template boot from their disks', async () => {
  const [vmB, vmU] = await Promise.all([createFrom(bios, { start: true }), createFrom(uefi, { start: true })]);
  for (const [vm, t] of [
    [vmB, bios],
    [vmU, uefi],
  ] as const) {
    const hw = await api.vm.hardware.query({ vmId: vm.id });
    assert.equal(hw.firmware, t.versions[0]?.firmware);
    assert.equal(hw.disks[0]?.volume, `${vm.uuid}-disk0.qcow2`);
    const base = await poolPath(t.versions[0]?.disks[0]?.volume ?? '');
    assert.equal(imageInfo(await diskPath(vm.id))['full-backing-filename'], base, 'a linked clone of the base');
  }
  await Promise.all([ready(vmB.uuid), ready(vmU.uuid)]);
  // The VM records the version it was made from.
  const counts = (await api.template.list.query()).filter((t) => t.id === bios.id || t.id === uefi.id);
  for (const t of counts) assert.ok((t.versions[0]?.vmCount ?? 0) >= 1, `${t.name} v1 counts its VM`);
  await Promise.all([stop(vmB.id), stop(vmU.id)]);
});

test('10 linked clones share one base, take little space and all boot', async () => {
  const baseVolume = bios.versions[0]?.disks[0]?.volume ?? '';
  const base = await poolPath(baseVolume);
  const baseBytes = Number(
    /<allocation unit='bytes'>(\d+)</.exec(
      (await virsh(host, 'vol-dumpxml', '--pool', 'default', baseVolume)).stdout,
    )?.[1],
  );
  assert.ok(baseBytes > 1024 * 1024, `the base holds the guest (${baseBytes} bytes)`);
  const before = await poolAllocation();
  const vms = await Promise.all(Array.from({ length: 10 }, () => createFrom(bios, { start: false, prefix: 'lnk' })));
  const grew = (await poolAllocation()) - before;
  assert.ok(grew < baseBytes, `10 clones grew the pool by ${grew} bytes, less than one base (${baseBytes})`);
  for (const vm of vms) {
    const path = await diskPath(vm.id);
    assert.equal(imageInfo(path)['full-backing-filename'], base, `${vm.name} is backed by the base`);
    const xml = (await virsh(host, 'vol-dumpxml', '--pool', 'default', `${vm.uuid}-disk0.qcow2`)).stdout;
    assert.match(xml, new RegExp(`<backingStore>\\s*<path>${base}</path>`), 'libvirt sees the backing store');
  }
  // Two loaded cores: boot them five at a time.
  for (const batch of [vms.slice(0, 5), vms.slice(5)]) {
    await Promise.all(
      batch.map(async (vm) => {
        const task = await waitTask(api, (await api.vm.start.mutate({ vmId: vm.id })).taskId);
        assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
      }),
    );
    await Promise.all(batch.map((vm) => ready(vm.uuid)));
    await Promise.all(batch.map((vm) => stop(vm.id)));
  }
});

test('a full copy has no backing file', async () => {
  const vm = await createFrom(bios, { start: false, diskMode: 'full', prefix: 'full' });
  const hw = await api.vm.hardware.query({ vmId: vm.id });
  assert.equal(hw.disks[0]?.owned, true);
  assert.equal(imageInfo(await diskPath(vm.id))['backing-filename'], undefined);
});

test('a new version leaves the old version’s VMs booting on their intact base', async () => {
  const oldBase = bios.versions[0]?.disks[0];
  assert.ok(oldBase);
  // A template of its own (the seeded one stays as it is), version 1 on the seeded base.
  const name = uniqueName('tmplv');
  const created = await api.template.create.mutate({
    name,
    version: { firmware: 'bios', disks: [{ pool: 'default', volume: oldBase.volume }] },
  });
  const own = (await api.template.list.query()).find((t) => t.id === created.templateId);
  assert.ok(own);
  const oldVm = await createFrom(own, { start: false, prefix: 'v1' });

  // Version 2 on a new base, imported by an agent like the seed does.
  const image = JSON.parse(
    readFileSync(process.env.VIREO_TEMPLATE_IMAGE_JSON ?? '/var/lib/vireo-lab/images/image.json', 'utf8'),
  );
  const newVolume = `${name}-v2.qcow2`;
  const hostId = (await api.host.list.query()).find((h) => h.status === 'online')?.id;
  assert.ok(hostId);
  const imp = await api.image.import.mutate({
    hostId,
    sourcePath: image.bootDisks.bios,
    pool: 'default',
    name: newVolume,
    format: 'qcow2',
  });
  assert.equal((await waitTask(api, imp.taskId, 120_000)).state, 'succeeded');
  const v2 = await api.template.publishVersion.mutate({
    templateId: own.id,
    version: { firmware: 'bios', disks: [{ pool: 'default', volume: newVolume }] },
  });
  assert.equal(v2.version, 2);
  const newVm = await createFrom(own, { start: false, prefix: 'v2' });
  assert.equal(imageInfo(await diskPath(newVm.id))['full-backing-filename'], await poolPath(newVolume));

  // The old VM is still on the old base, which is intact and cannot be deleted.
  const oldBasePath = await poolPath(oldBase.volume);
  assert.equal(imageInfo(await diskPath(oldVm.id))['full-backing-filename'], oldBasePath);
  const refused = await rejection(api.storage.deleteVolume.mutate({ pool: 'default', name: oldBase.volume }));
  assert.equal(refused.code, 'CONFLICT');
  execFileSync('qemu-img', ['check', '-U', oldBasePath]);
  const task = await waitTask(api, (await api.vm.start.mutate({ vmId: oldVm.id })).taskId);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  await ready(oldVm.uuid);

  const versions = (await api.template.list.query()).find((t) => t.id === own.id)?.versions ?? [];
  assert.deepEqual(
    versions.map((v) => [v.version, v.vmCount]),
    [
      [2, 1],
      [1, 1],
    ],
  );
});

test('a VM cannot use a version of another template', async () => {
  const wrong = await rejection(
    api.vm.create.mutate({
      name: uniqueName('bad'),
      templateId: bios.id,
      templateVersionId: uefi.versions[0]?.id ?? '',
      vcpus: 1,
      memoryMiB: 256,
    }),
  );
  assert.equal(wrong.code, 'NOT_FOUND');
});

test('a template from a stopped VM: refused while it runs, then its disk becomes a flat base that boots', async () => {
  const src = await createFrom(bios, { start: true, prefix: 'src' });
  const running = await rejection(api.template.fromVm.mutate({ vmId: src.id, name: uniqueName('tfv') }));
  assert.equal(running.code, 'INVALID_STATE');
  await ready(src.uuid);
  await stop(src.id);

  const name = uniqueName('tfv');
  const { taskId } = await api.template.fromVm.mutate({ vmId: src.id, name });
  const task = await waitTask(api, taskId, 120_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  // The VM is kept.
  assert.equal((await api.vm.byId.query({ vmId: src.id })).state, 'shutoff');
  const made = (await api.template.list.query()).find((t) => t.name === name);
  assert.ok(made);
  const baseVolume = made.versions[0]?.disks[0]?.volume ?? '';
  assert.equal(imageInfo(await poolPath(baseVolume))['backing-filename'], undefined, 'the base is flat');

  const vm = await createFrom(made, { start: true, prefix: 'fromt' });
  assert.equal(imageInfo(await diskPath(vm.id))['full-backing-filename'], await poolPath(baseVolume));
  await ready(vm.uuid);
});
