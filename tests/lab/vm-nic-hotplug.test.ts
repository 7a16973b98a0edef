/**
 * NICs and CD-ROM on one real lab guest. A NIC hot-added on a Vireo network shows in the guest's
 * /sys/class/net with its MAC and in libvirt's live and persistent definitions; hot-removed, it
 * leaves all three; a refused attach leaves no row. On the stopped VM a NIC and a SCSI CD-ROM
 * drive go into the definition and the guest has them at its next start; an ISO inserted while
 * it runs is read by the guest from sr0, and ejecting it leaves the drive empty.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Api, admin, createTestVm, rejection, waitTask } from '../support/api.ts';
import { guestRun, serialText } from '../support/guest-serial.ts';
import { ensureDefaultPool, poolDir } from '../support/hardware-fixtures.ts';
import { type LabHost, hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

let api: Api;
const made: string[] = [];
const networkIds: string[] = [];
const iso = `nic-test-${process.pid}.iso`;

before(async () => {
  ({ api } = await admin());
  for (const host of lab().hosts) await ensureDefaultPool(host);
  // An ISO image in the default pool, as the image library keeps them (a volume in a pool).
  const src = mkdtempSync(join(tmpdir(), 'vireo-iso-'));
  writeFileSync(join(src, 'hello.txt'), 'vireo cd-rom test\n'.repeat(2000));
  execFileSync('genisoimage', ['-quiet', '-R', '-J', '-o', join(poolDir(), iso), src]);
  rmSync(src, { recursive: true });
  for (const host of lab().hosts) await virsh(host, 'pool-refresh', 'default');
});

after(async () => {
  for (const vmId of made) {
    const vm = await api.vm.byId.query({ vmId }).catch(() => null);
    if (!vm) continue;
    if (vm.state !== 'shutoff') await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
  }
  for (const networkId of networkIds) await api.network.delete.mutate({ networkId }).catch(() => {});
  rmSync(join(poolDir(), iso), { force: true });
});

/** The MACs the guest's kernel has, from /sys/class/net. */
async function guestMacs(host: LabHost, uuid: string): Promise<string> {
  return guestRun(host, uuid, 'cat /sys/class/net/*/address | tr "\\n" " "');
}

/**
 * Whether the guest reads an ISO 9660 volume from sr0: its primary volume descriptor (sector 16)
 * says CD001. An empty drive reads nothing (sr0's size is no help: an empty drive reports a
 * made-up maximum).
 */
async function cdromHasIso(host: LabHost, uuid: string): Promise<boolean> {
  const out = await guestRun(host, uuid, 'dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null | grep -c CD001');
  return out.trim() === '1';
}

const ready = (vm: { uuid: string; name: string }) =>
  waitFor('READY', async () => serialText(vm.uuid).includes(`VIREO GUEST ${vm.name} READY`), 90_000, 250);

test('NIC hot-add/remove on a running guest, NIC and CD-ROM on the stopped VM, media insert/eject', async () => {
  const { vmId, vm } = await createTestVm(api, 'nichp');
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');
  const hostRow = (await api.host.list.query()).find((h) => h.name === host.name);
  const cluster = (await api.network.clusters.query())[0];
  assert.ok(hostRow && cluster);
  const third = 130 + (process.pid % 100);
  const net = await api.network.create.mutate({
    name: `nichp${process.pid % 10000}`,
    clusterId: cluster.id,
    scope: 'host',
    hostId: hostRow.id,
    mode: 'nat',
    cidr: `10.197.${third}.0/24`,
    dhcpStart: `10.197.${third}.100`,
    dhcpEnd: `10.197.${third}.200`,
  });
  networkIds.push(net.id);
  const network = `vireo-${net.name}`;
  await ready(vm);
  assert.equal((await api.vm.hardware.query({ vmId })).nics.length, 0);

  // Hot-add: the row, libvirt (live and persistent) and the guest agree on the MAC.
  const added = await waitTask(api, (await api.vm.addNic.mutate({ vmId, network })).taskId, 120_000);
  assert.equal(added.state, 'succeeded', added.errorMessage ?? '');
  const nic = (await api.vm.hardware.query({ vmId })).nics[0];
  assert.ok(nic, 'the NIC has a row');
  assert.equal(nic.network, network);
  assert.equal(nic.networkName, net.name);
  assert.match((await virsh(host, 'domiflist', vm.uuid)).stdout, new RegExp(`${network}\\s+virtio\\s+${nic.mac}`));
  assert.ok((await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout.includes(nic.mac), 'in the definition');
  await waitFor('the MAC in the guest', async () => (await guestMacs(host, vm.uuid)).includes(nic.mac), 60_000, 1000);

  // A NIC libvirt refuses (no such network on the host): the task fails and leaves no row.
  const refused = await waitTask(api, (await api.vm.addNic.mutate({ vmId, network: 'vireo-no-such-net' })).taskId);
  assert.equal(refused.state, 'failed');
  assert.deepEqual(
    (await api.vm.hardware.query({ vmId })).nics.map((n) => n.mac),
    [nic.mac],
  );

  // Hot-remove: gone from libvirt, the guest and Vireo's rows.
  const removed = await waitTask(
    api,
    (await api.vm.removeNic.mutate({ vmId, position: nic.position })).taskId,
    120_000,
  );
  assert.equal(removed.state, 'succeeded', removed.errorMessage ?? '');
  assert.ok(!(await virsh(host, 'domiflist', vm.uuid)).stdout.includes(nic.mac));
  assert.ok(!(await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout.includes(nic.mac));
  assert.ok(!(await guestMacs(host, vm.uuid)).includes(nic.mac), 'the guest no longer has the NIC');
  assert.equal((await api.vm.hardware.query({ vmId })).nics.length, 0);

  // A CD-ROM drive is added only to a stopped VM.
  assert.equal((await rejection(api.vm.addCdrom.mutate({ vmId, bus: 'scsi' }))).code, 'INVALID_STATE');
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
  const offNic = await waitTask(api, (await api.vm.addNic.mutate({ vmId, network })).taskId);
  assert.equal(offNic.state, 'succeeded', offNic.errorMessage ?? '');
  const cd = await waitTask(api, (await api.vm.addCdrom.mutate({ vmId, bus: 'scsi' })).taskId);
  assert.equal(cd.state, 'succeeded', cd.errorMessage ?? '');
  const hw = await api.vm.hardware.query({ vmId });
  const drive = hw.disks.find((d) => d.device === 'cdrom');
  const nic2 = hw.nics[0];
  assert.ok(drive && nic2);
  assert.equal(drive.bus, 'scsi');
  assert.equal(drive.volume, null, 'the new drive is empty');
  const config = (await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout;
  assert.ok(config.includes(nic2.mac), 'the stopped VM has the NIC in its definition');
  assert.match(config, /device='cdrom'/);
  assert.match(config, /model='virtio-scsi'/);

  // Started: the guest has the NIC and an empty CD-ROM.
  assert.equal((await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId)).state, 'succeeded');
  await ready(vm); // the serial log starts afresh with each start (append='off')
  assert.ok((await guestMacs(host, vm.uuid)).includes(nic2.mac), 'the guest has the NIC added while stopped');
  assert.equal(await cdromHasIso(host, vm.uuid), false, 'no medium yet');

  // Insert an ISO while the guest runs: libvirt and the guest see it.
  const insert = await waitTask(
    api,
    (await api.vm.setCdromMedia.mutate({ vmId, position: drive.position, media: { pool: 'default', volume: iso } }))
      .taskId,
  );
  assert.equal(insert.state, 'succeeded', insert.errorMessage ?? '');
  const path = `${poolDir()}/${iso}`;
  assert.match((await virsh(host, 'domblklist', vm.uuid)).stdout, new RegExp(`sd\\w+\\s+${path}`));
  assert.ok((await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout.includes(path), 'in the definition too');
  await waitFor('the ISO read in the guest', async () => cdromHasIso(host, vm.uuid), 30_000, 1000);
  const row = (await api.vm.hardware.query({ vmId })).disks.find((d) => d.position === drive.position);
  assert.deepEqual([row?.pool, row?.volume, row?.path], ['default', iso, path]);

  // Only an ISO image goes into a CD-ROM drive.
  const notIso = await rejection(
    api.vm.setCdromMedia.mutate({ vmId, position: drive.position, media: { pool: 'default', volume: 'disk.qcow2' } }),
  );
  assert.equal(notIso.code, 'BAD_INPUT');

  // Eject: the drive is empty in libvirt and in the guest.
  const eject = await waitTask(
    api,
    (await api.vm.setCdromMedia.mutate({ vmId, position: drive.position, media: null })).taskId,
  );
  assert.equal(eject.state, 'succeeded', eject.errorMessage ?? '');
  assert.ok(!(await virsh(host, 'domblklist', vm.uuid)).stdout.includes(path));
  assert.ok(!(await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout.includes(path));
  await waitFor('no medium in the guest', async () => !(await cdromHasIso(host, vm.uuid)), 30_000, 1000);
  const emptied = (await api.vm.hardware.query({ vmId })).disks.find((d) => d.position === drive.position);
  assert.equal(emptied?.volume, null);
});
