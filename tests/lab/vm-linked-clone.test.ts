/**
 * vm.cloneLinked on real lab guests: a shut-off VM from the vireo-tiny-bios template gets
 * pattern A near the end of its disk (qemu-io on its image: no boot needed), is snapshotted
 * (disk-only), then gets pattern B. Two linked clones of the snapshot read A through their
 * disks, which are backed (qemu-img) by the same one base of the template `<vm>@<snapshot>`,
 * made once, and both boot; the source still reads B. Deleting the template is
 * refused while the clones exist and works once they are gone. An unknown snapshot and a running
 * source are refused with coded errors and make nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { admin, type Api, rejection, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { poolVolumes } from '../support/hardware-fixtures.ts';
import { type LabHost, hostOfDomain, lab, waitFor } from '../support/lab.ts';

let api: Api;
const made: string[] = [];

after(async () => {
  await removeVms(api, made.reverse());
});

const serialLog = (uuid: string) => `${lab().sharedDir}/vms/${uuid}.serial.log`;
const logText = (uuid: string) => (existsSync(serialLog(uuid)) ? readFileSync(serialLog(uuid), 'utf8') : '');

/** Starts the VM and waits for READY printed by this boot (the log may be reopened or appended to). */
async function boot(vmId: string, uuid: string): Promise<LabHost> {
  const before = logText(uuid);
  const task = await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId, 60_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  await waitFor(
    `READY of ${uuid}`,
    async () => {
      const now = logText(uuid);
      const fresh = now.startsWith(before) ? now.slice(before.length) : now;
      return fresh.includes('VIREO GUEST vireo-guest READY');
    },
    90_000,
    250,
  );
  const host = await hostOfDomain(uuid);
  assert.ok(host, `${uuid} runs on a lab host`);
  return host;
}

async function stop(vmId: string): Promise<void> {
  const task = await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
}

/**
 * A 4 KiB pattern (one byte repeated) in the disk's last MiB, which no boot of the guest touches:
 * written and checked on the shut-off VM's image with qemu-io, through its backing chain.
 */
function markerOffset(path: string): number {
  const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', path], { encoding: 'utf8' }));
  return (info['virtual-size'] as number) - 1024 * 1024;
}

function writePattern(path: string, byte: number): void {
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', `write -P ${byte} ${markerOffset(path)} 4096`, path]);
}

/** Whether the pattern is there (qemu-io exits 1 on "Pattern verification failed"). */
function hasPattern(path: string, byte: number): boolean {
  try {
    execFileSync('qemu-io', ['-f', 'qcow2', '-r', '-c', `read -P ${byte} ${markerOffset(path)} 4096`, path], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

const A = 0x41;
const B = 0x42;

/** The files of a disk's backing chain below it (qemu-img; -U: the VM may run). */
function backingChain(path: string): string[] {
  const infos = JSON.parse(
    execFileSync('qemu-img', ['info', '-U', '--backing-chain', '--output=json', path], { encoding: 'utf8' }),
  ) as { filename: string }[];
  return infos.slice(1).map((i) => i.filename);
}

async function firstDiskPath(vmId: string): Promise<string> {
  const path = (await api.vm.hardware.query({ vmId })).disks[0]?.path;
  assert.ok(path, 'the first disk has a path');
  return path;
}

test('two linked clones of a snapshot share one base, boot and read the snapshot’s disk', async () => {
  ({ api } = await admin());
  const bios = (await api.template.list.query()).find((t) => t.name === 'vireo-tiny-bios');
  assert.ok(bios, 'the seeded vireo-tiny-bios template exists');
  const { taskId, vmId } = await api.vm.create.mutate({
    name: uniqueName('lsrc'),
    templateId: bios.id,
    diskMode: 'linked',
    vcpus: 1,
    memoryMiB: 128,
    start: false,
  });
  made.push(vmId);
  assert.equal((await waitTask(api, taskId, 120_000)).state, 'succeeded');
  const src = await api.vm.byId.query({ vmId });

  // Pattern A, then a disk-only snapshot of the shut-off VM, then pattern B.
  const srcDisk = await firstDiskPath(vmId);
  writePattern(srcDisk, A);
  assert.ok(hasPattern(srcDisk, A) && !hasPattern(srcDisk, B), 'pattern A is on the source disk');
  const snap = await waitTask(
    api,
    (await api.snapshot.create.mutate({ vmId, name: 's1', withMemory: false })).taskId,
    120_000,
  );
  assert.equal(snap.state, 'succeeded', snap.errorMessage ?? '');
  writePattern(srcDisk, B);

  // While the source runs a linked clone is refused.
  const started = await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId, 60_000);
  assert.equal(started.state, 'succeeded', started.errorMessage ?? '');
  const host = await hostOfDomain(src.uuid);
  assert.ok(host, 'the source runs on a lab host');
  const templateName = `${src.name}@s1`;
  const templatesBefore = (await api.template.list.query()).length;
  const running = await rejection(api.vm.cloneLinked.mutate({ vmId, name: uniqueName('lnope'), snapshot: 's1' }));
  assert.equal(running.code, 'INVALID_STATE', running.message);
  await stop(vmId);
  const unknown = await rejection(api.vm.cloneLinked.mutate({ vmId, name: uniqueName('lnope'), snapshot: 'nosuch' }));
  assert.equal(unknown.code, 'NOT_FOUND', unknown.message);
  assert.equal((await api.template.list.query()).length, templatesBefore, 'refusals made no template');
  const volumesBefore = await poolVolumes(host);

  // Two linked clones of s1, one after the other.
  const clones: { id: string; uuid: string; name: string }[] = [];
  for (const prefix of ['lcl1', 'lcl2']) {
    const name = uniqueName(prefix);
    const t = await waitTask(api, (await api.vm.cloneLinked.mutate({ vmId, name, snapshot: 's1' })).taskId, 180_000);
    assert.equal(t.state, 'succeeded', t.errorMessage ?? '');
    const row = (await api.vm.list.query({ name })).rows.find((v) => v.name === name);
    assert.ok(row, `clone ${name} exists`);
    made.push(row.id);
    clones.push({ id: row.id, uuid: row.uuid, name });
  }
  const c0 = clones[0] as (typeof clones)[number];
  const c1 = clones[1] as (typeof clones)[number];
  assert.notEqual(c0.uuid, src.uuid);

  // One template, one version, one base; both clones are linked to it.
  const tpls = (await api.template.list.query()).filter((t) => t.name === templateName);
  assert.equal(tpls.length, 1, 'one template for the snapshot');
  const tpl = tpls[0] as (typeof tpls)[number];
  assert.equal(tpl.versions.length, 1);
  assert.equal(tpl.versions[0]?.vmCount, 2, 'the template counts both clones');
  const baseVolume = tpl.versions[0]?.disks[0]?.volume ?? '';
  const newVolumes = (await poolVolumes(host)).filter((v) => !volumesBefore.includes(v));
  const bases = newVolumes.filter((v) => v.startsWith('snap-'));
  assert.deepEqual(bases, [baseVolume], `only one base was made (new volumes: ${newVolumes.join(', ')})`);
  const chains = await Promise.all(clones.map(async (c) => backingChain(await firstDiskPath(c.id))));
  for (const chain of chains) {
    assert.equal(chain.length, 1, `a clone's disk has one backing file: ${chain.join(' <- ')}`);
    assert.ok(chain[0]?.endsWith(`/${baseVolume}`), `backed by the base ${baseVolume}: ${chain[0]}`);
  }
  assert.equal(chains[0]?.[0], chains[1]?.[0], 'both clones are backed by the same base');
  assert.deepEqual(backingChain(chains[0]?.[0] ?? ''), [], 'the base is flat');

  // The clones' disks read A, the source's still B; both clones boot.
  for (const [i, c] of clones.entries()) {
    const disk = await firstDiskPath(c.id);
    assert.ok(hasPattern(disk, A) && !hasPattern(disk, B), `clone ${i + 1} has the snapshot’s disk`);
  }
  assert.ok(hasPattern(srcDisk, B), 'the source keeps its current disk');
  await Promise.all([boot(c0.id, c0.uuid), boot(c1.id, c1.uuid)]);

  // The template cannot go while its clones exist; once they are gone it can, base included.
  const inUse = await rejection(api.template.delete.mutate({ templateId: tpl.id }));
  assert.equal(inUse.code, 'CONFLICT', inUse.message);
  for (const c of clones) {
    await stop(c.id);
    const d = await waitTask(api, (await api.vm.delete.mutate({ vmId: c.id })).taskId);
    assert.equal(d.state, 'succeeded', d.errorMessage ?? '');
  }
  const gone = await api.template.delete.mutate({ templateId: tpl.id });
  assert.deepEqual(gone.deletedVolumes, [`default/${baseVolume}`]);
});
