/**
 * Live editing of a running lab guest: vCPUs within the maximum it started with are hot-plugged
 * (the guest sees the new CPU in /sys/devices/system/cpu and nproc once it is onlined) and memory
 * is ballooned down (the guest's /proc/meminfo MemTotal drops); libvirt's live and persistent
 * figures agree. Raising a maximum while it runs waits for the next start and is listed pending.
 *
 * The lab guest's initrd has no virtio_balloon module and no udev: the test hands the module
 * from the lab's kernel .deb to the guest on a read-only raw disk attached live with virsh (not
 * through Vireo), and onlines the hot-plugged CPU itself as a udev rule would.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Api, admin, baseUrl, createTestVm, rejection, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { guestRun, serialText } from '../support/guest-serial.ts';
import { hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

let api: Api;
const made: string[] = [];
const files: string[] = [];
/** The running VM the first test leaves with 2 vCPUs live and 3 (of 4) pending. */
let liveVmId = '';

before(async () => {
  ({ api } = await admin());
});

after(async () => {
  for (const vmId of made) {
    const vm = await api.vm.byId.query({ vmId }).catch(() => null);
    if (!vm) continue;
    if (vm.state !== 'shutoff') await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
  }
  for (const f of files) rmSync(f, { force: true });
});

/** virtio_balloon.ko of the guest's kernel, taken from the .deb the lab image was built from. */
function balloonModule(): Buffer {
  const image = JSON.parse(readFileSync('/var/lib/vireo-lab/images/image.json', 'utf8')) as { kernelVersion: string };
  const deb = `/var/cache/vireo-lab/debs/linux-image-${image.kernelVersion}_`;
  const dir = '/var/cache/vireo-lab/debs';
  const name = execFileSync('ls', [dir], { encoding: 'utf8' })
    .split('\n')
    .find((f) => `${dir}/${f}`.startsWith(deb));
  assert.ok(name, `the kernel .deb for ${image.kernelVersion} is in ${dir}`);
  const out = mkdtempSync(join(tmpdir(), 'vireo-balloon-'));
  try {
    const member = `./lib/modules/${image.kernelVersion}/kernel/drivers/virtio/virtio_balloon.ko`;
    execFileSync('sh', [
      '-c',
      `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "$3"`,
      'sh',
      `${dir}/${name}`,
      out,
      member,
    ]);
    return readFileSync(join(out, member));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const memTotalKiB = async (host: Parameters<typeof guestRun>[0], uuid: string) =>
  Number(/(\d+)/.exec(await guestRun(host, uuid, "grep MemTotal /proc/meminfo | tr -s ' '"))?.[1]);

test('a running VM takes vCPUs and memory live within its maximums; a new maximum waits for the next start', async () => {
  const { vmId, vm } = await createTestVm(api, 'live', { start: false });
  made.push(vmId);
  liveVmId = vmId;
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');

  // Room to grow: 1 of 2 vCPUs, 256 of 256 MiB, set while stopped.
  const prep = await waitTask(
    api,
    (await api.vm.edit.mutate({ vmId, name: vm.name, vcpus: 1, maxVcpus: 2, memoryMiB: 256, maxMemoryMiB: 256 }))
      .taskId,
  );
  assert.equal(prep.state, 'succeeded', prep.errorMessage ?? '');
  const started = await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId);
  assert.equal(started.state, 'succeeded', started.errorMessage ?? '');
  await waitFor('READY', async () => serialText(vm.uuid).includes(`VIREO GUEST ${vm.name} READY`), 90_000, 250);
  const limits = await api.vm.editLimits.query({ vmId });
  assert.deepEqual(limits.live, { vcpus: 1, maxVcpus: 2, memoryMiB: 256, maxMemoryMiB: 256 });

  // The balloon driver, on a raw disk the guest reads with head -c.
  const mod = balloonModule();
  const raw = `${lab().sharedDir}/vms/${vm.uuid}.balloon.raw`;
  files.push(raw);
  writeFileSync(raw, Buffer.concat([mod, Buffer.alloc(512 - (mod.length % 512))]));
  const attach = await virsh(host, 'attach-disk', vm.uuid, raw, 'vdz', '--targetbus', 'virtio', '--subdriver', 'raw');
  assert.equal(attach.code, 0, attach.stderr);
  const dev = await waitFor(
    'the module disk in the guest',
    async () => /\b(vd[b-z])\b/.exec(await guestRun(host, vm.uuid, 'ls /sys/block | tr "\\n" " "'))?.[1] ?? null,
    60_000,
    2000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; serial log ends: ${serialText(vm.uuid).slice(-1500)}`);
  });
  await guestRun(host, vm.uuid, `head -c ${mod.length} /dev/${dev} > /tmp/b.ko; echo copied`);
  const insmod = await guestRun(
    host,
    vm.uuid,
    'insmod /tmp/b.ko 2>&1 | tr "\\n" " "; grep -c "^virtio_balloon " /proc/modules',
  );
  assert.match(insmod.trim(), /^1$/, `insmod printed: ${insmod}`);
  assert.equal((await guestRun(host, vm.uuid, 'nproc')).trim(), '1');
  const memBefore = await memTotalKiB(host, vm.uuid);
  assert.ok(memBefore > 200 * 1024, `MemTotal before: ${memBefore} KiB`);

  // Live: 2 vCPUs (hot-plug) and 160 MiB (balloon); maximums unchanged.
  const edited = await waitTask(
    api,
    (await api.vm.edit.mutate({ vmId, name: vm.name, vcpus: 2, maxVcpus: 2, memoryMiB: 160, maxMemoryMiB: 256 }))
      .taskId,
  );
  assert.equal(edited.state, 'succeeded', edited.errorMessage ?? '');
  assert.match(edited.message ?? '', /2 vCPUs hot-plugged/);
  assert.match(edited.message ?? '', /memory ballooned to 160 MiB/);
  assert.doesNotMatch(edited.message ?? '', /next start/);

  // libvirt, live and persistent.
  const count = async (...flags: string[]) => (await virsh(host, 'vcpucount', vm.uuid, ...flags)).stdout.trim();
  assert.equal(await count('--live', '--current'), '2');
  assert.equal(await count('--config', '--current'), '2');
  assert.match((await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout, /<currentMemory unit='KiB'>163840</);
  assert.equal((await api.vm.byId.query({ vmId })).vcpus, 2);

  // The guest: cpu1 appears (no udev here to online it), then counts; MemTotal drops by the balloon.
  await waitFor(
    'cpu1 in the guest',
    async () => (await guestRun(host, vm.uuid, 'ls /sys/devices/system/cpu | grep -c "^cpu1$"')).trim() === '1',
    60_000,
    1000,
  );
  await guestRun(
    host,
    vm.uuid,
    'cat /sys/devices/system/cpu/cpu1/online 2>/dev/null; echo 1 > /sys/devices/system/cpu/cpu1/online',
  );
  const online = await waitFor(
    'cpu1 online',
    async () => {
      const o = (await guestRun(host, vm.uuid, 'cat /sys/devices/system/cpu/online')).trim();
      return o === '0-1' ? o : null;
    },
    30_000,
    1000,
  );
  assert.equal(online, '0-1');
  assert.equal((await guestRun(host, vm.uuid, 'nproc')).trim(), '2');
  const memAfter = await waitFor(
    'MemTotal to drop',
    async () => {
      const kib = await memTotalKiB(host, vm.uuid);
      return kib < memBefore - 80 * 1024 ? kib : null;
    },
    60_000,
    2000,
  );
  assert.ok(memAfter < memBefore - 80 * 1024, `MemTotal ${memBefore} → ${memAfter} KiB`);
  // libvirt reports the balloon once the guest's driver inflated it; then nothing is pending.
  const info = await waitFor(
    'libvirt to report the balloon',
    async () => {
      const out = (await virsh(host, 'dominfo', vm.uuid)).stdout;
      return /Used memory:\s+163840 KiB/.test(out) ? out : null;
    },
    30_000,
    1000,
  );
  assert.match(info, /Max memory:\s+262144 KiB/);
  await waitFor(
    'no pending change',
    async () => (await api.vm.pendingChanges.query({ vmId })).changes.length === 0,
    30_000,
    1000,
  );
  assert.equal((await api.vm.byId.query({ vmId })).memoryMiB, 160);

  // A new maximum cannot apply live: it and the vCPUs beyond the running maximum wait.
  const raised = await waitTask(
    api,
    (await api.vm.edit.mutate({ vmId, name: vm.name, vcpus: 3, maxVcpus: 4, memoryMiB: 160, maxMemoryMiB: 256 }))
      .taskId,
  );
  assert.equal(raised.state, 'succeeded', raised.errorMessage ?? '');
  assert.match(raised.message ?? '', /next start/);
  assert.doesNotMatch(raised.message ?? '', /hot-plugged/);
  assert.equal(await count('--live', '--current'), '2');
  assert.equal(await count('--config', '--maximum'), '4');
  assert.equal(await count('--config', '--current'), '3');
  const pending = (await api.vm.pendingChanges.query({ vmId })).changes;
  assert.deepEqual(
    pending.map((c) => [c.what, c.now, c.next]),
    [
      ['vCPUs', 2, 3],
      ['Maximum vCPUs', 2, 4],
    ],
  );
  assert.equal((await api.vm.byId.query({ vmId })).vcpus, 2, 'the row keeps what runs');
});

test('a description is kept in the row and the domain XML; a too long or refused one changes neither', async () => {
  const { vmId, vm } = await createTestVm(api, 'desc', { start: false });
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');
  const figures = { vcpus: 1, maxVcpus: 1, memoryMiB: 128, maxMemoryMiB: 128 };
  const xmlDescription = async () =>
    /<description>([\s\S]*?)<\/description>/.exec((await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout)?.[1] ??
    null;

  const text = 'Web front end <blue> & "green"';
  const edited = await waitTask(
    api,
    (await api.vm.edit.mutate({ vmId, name: vm.name, ...figures, description: text })).taskId,
  );
  assert.equal(edited.state, 'succeeded', edited.errorMessage ?? '');
  assert.equal((await api.vm.description.query({ vmId })).description, text);
  assert.equal(await xmlDescription(), 'Web front end &lt;blue&gt; &amp; &quot;green&quot;');

  // Over 1000 characters: refused before anything moves.
  const long = await rejection(api.vm.edit.mutate({ vmId, name: vm.name, ...figures, description: 'x'.repeat(1001) }));
  assert.equal(long.code, 'BAD_INPUT');
  assert.match(long.message, /1000 characters/);
  assert.equal((await api.vm.description.query({ vmId })).description, text);

  // The host refuses the rename that comes with a new description (another domain has the
  // name): the description set before it is undone in libvirt and the row keeps the old one.
  const clash = `${vm.name}-clash`;
  const file = `${lab().sharedDir}/${clash}.xml`;
  files.push(file);
  writeFileSync(
    file,
    `<domain type='qemu'><name>${clash}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`,
  );
  assert.equal((await virsh(host, 'define', file)).code, 0);
  try {
    const refused = await waitTask(
      api,
      (await api.vm.edit.mutate({ vmId, name: clash, ...figures, description: 'changed' })).taskId,
    );
    assert.equal(refused.state, 'failed');
    assert.equal(await xmlDescription(), 'Web front end &lt;blue&gt; &amp; &quot;green&quot;');
    assert.equal((await api.vm.description.query({ vmId })).description, text);
  } finally {
    await virsh(host, 'undefine', clash);
  }

  // Emptied: the element leaves the XML.
  const cleared = await waitTask(
    api,
    (await api.vm.edit.mutate({ vmId, name: vm.name, ...figures, description: '' })).taskId,
  );
  assert.equal(cleared.state, 'succeeded', cleared.errorMessage ?? '');
  assert.equal(await xmlDescription(), null);
  assert.equal((await api.vm.description.query({ vmId })).description, '');
});

test('the Edit dialog of a running VM says which change applies live and which waits', async () => {
  assert.ok(liveVmId, 'the live-edit test left its VM');
  const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
  mkdirSync(artifacts, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await logInPage(page);
    await page.goto(`${baseUrl()}/vms/${liveVmId}?tab=hardware`);
    await page.getByTestId('vm-pending').waitFor();
    await page.getByTestId('vm-edit').click();
    const dialog = page.getByTestId('vm-edit-dialog');
    // Starts from the definition (3 of 4 vCPUs), not from the row (2 running).
    await dialog.getByTestId('vm-edit-vcpus').waitFor();
    assert.equal(await dialog.getByTestId('vm-edit-vcpus').inputValue(), '3');
    assert.equal(await dialog.getByTestId('vm-edit-maxVcpus').inputValue(), '4');
    assert.equal(await dialog.getByTestId('vm-edit-when-vcpus').textContent(), 'Waits for the next start');
    assert.equal(await dialog.getByTestId('vm-edit-when-maxVcpus').textContent(), 'Waits for the next start');
    await dialog.getByTestId('vm-edit-vcpus').fill('1');
    assert.equal(await dialog.getByTestId('vm-edit-when-vcpus').textContent(), 'Applies now (live)');
    await dialog.getByTestId('vm-edit-memoryMiB').fill('200');
    assert.equal(await dialog.getByTestId('vm-edit-when-memoryMiB').textContent(), 'Applies now (live)');
    assert.match((await dialog.getByTestId('vm-edit-note').textContent()) ?? '', /up to 2 vCPUs .* and 256 MiB/);
    await page.screenshot({ path: `${artifacts}/vm-edit-live-dialog.png`, fullPage: true });
  } finally {
    await browser.close();
  }
});
