/**
 * In Chromium, on a running VM's page: "Add disk" in the Hardware section hot-adds a blank disk
 * (libvirt's live domain gets vdb, the disk table a new row), and its Remove button hot-removes
 * it (gone from libvirt and the table). On a stopped VM, Edit sets vCPUs and memory, and the boot
 * order (libvirt's definition and the Hardware tab follow). Screenshots are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, defaultTemplate, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { ensureDefaultPool } from '../support/hardware-fixtures.ts';
import { hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;
const made: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  for (const host of lab().hosts) await ensureDefaultPool(host);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});
after(async () => {
  await browser?.close();
  const { api } = await admin();
  await removeVms(api, made);
});

test('Add disk and Remove on a running VM’s page hot-plug a disk', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'editui');
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}?tab=hardware`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  const rows = page.getByTestId('vm-disk-row');
  await rows.first().waitFor({ timeout: 60_000 }); // the hardware query has answered
  const before = await rows.count();
  const submit = page.getByTestId('vm-add-disk-submit');
  await waitFor('Add disk enabled', async () => await submit.isEnabled(), 30_000, 250);

  await page.getByTestId('vm-add-disk-size').fill('0.0625');
  await submit.click();
  await waitFor('a new disk row', async () => (await rows.count()) === before + 1, 60_000, 250);
  await waitFor(
    'vdb in libvirt',
    async () => /\bvdb\s+\S+/.test((await virsh(host, 'domblklist', vm.uuid)).stdout),
    30_000,
    500,
  );
  assert.match((await rows.last().textContent()) ?? '', /64(\.0)? MiB/);
  await page.screenshot({ path: `${artifacts}/vm-edit-disk-added.png` });

  await rows.last().getByTestId('vm-disk-remove').click();
  await waitFor('the disk row gone', async () => (await rows.count()) === before, 90_000, 250);
  assert.doesNotMatch((await virsh(host, 'domblklist', vm.uuid)).stdout, /\bvdb\b/);
  await page.screenshot({ path: `${artifacts}/vm-edit-disk-removed.png` });

  // Editing the running VM: the dialog says the change waits; the Hardware section lists it.
  await page.getByTestId('vm-edit').click();
  const dialog = page.getByTestId('vm-edit-dialog');
  await dialog.waitFor();
  assert.match((await dialog.getByTestId('vm-edit-note').textContent()) ?? '', /next restart/);
  await dialog.getByTestId('vm-edit-maxVcpus').fill('2');
  await dialog.getByTestId('vm-edit-vcpus').fill('2');
  await dialog.getByTestId('confirm-ok').click();
  const pending = page.getByTestId('vm-pending');
  await pending.waitFor({ timeout: 60_000 });
  assert.match((await pending.textContent()) ?? '', /apply at next restart.*vCPUs: 1 → 2/);
  assert.equal((await virsh(host, 'vcpucount', vm.uuid, '--live', '--current')).stdout.trim(), '1');
  await page.screenshot({ path: `${artifacts}/vm-edit-pending.png` });
});

test('Edit on a stopped VM’s page sets vCPUs and memory with their maximums', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'editdlg', { start: false });
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);

  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('vm-edit').click();
  const dialog = page.getByTestId('vm-edit-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('vm-edit-maxVcpus').fill('3');
  await dialog.getByTestId('vm-edit-vcpus').fill('2');
  await dialog.getByTestId('vm-edit-maxMemoryMiB').fill('192');
  await dialog.getByTestId('vm-edit-memoryMiB').fill('160');
  await page.screenshot({ path: `${artifacts}/vm-edit-dialog.png` });
  await dialog.getByTestId('confirm-ok').click();

  const count = async (flag: string) => (await virsh(host, 'vcpucount', vm.uuid, '--config', flag)).stdout.trim();
  await waitFor('2 vCPUs in libvirt', async () => (await count('--current')) === '2', 60_000, 500);
  assert.equal(await count('--maximum'), '3');
  assert.match((await virsh(host, 'dominfo', vm.uuid)).stdout, /Max memory:\s+196608 KiB/);
  await waitFor('the row follows', async () => (await api.vm.byId.query({ vmId })).memoryMiB === 160, 30_000, 250);
  assert.equal((await api.vm.byId.query({ vmId })).vcpus, 2);
  await page.screenshot({ path: `${artifacts}/vm-edit-saved.png` });
});

test('Edit on a stopped VM’s page sets the boot order; UEFI waits for enough memory', async () => {
  const { api } = await admin();
  const template = await defaultTemplate(api);
  assert.ok(template);
  const { taskId, vmId } = await api.vm.create.mutate({
    name: uniqueName('bootui'),
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
    disks: [{ bus: 'virtio', source: { kind: 'blank', sizeBytes: 32 * 1024 * 1024 } }],
  });
  made.push(vmId);
  assert.equal((await waitTask(api, taskId, 120_000)).state, 'succeeded');
  const vm = await api.vm.byId.query({ vmId });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);

  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}?tab=hardware`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 30_000 });
  await waitFor(
    'the default order on the Hardware tab',
    async () => /Disk 1\s*\(default\)/.test((await page.getByTestId('vm-boot-order').textContent()) ?? ''),
    30_000,
    250,
  );
  await page.getByTestId('vm-edit').click();
  const editor = page.getByTestId('vm-boot-editor');
  await editor.waitFor({ timeout: 30_000 });
  await editor.getByTestId('vm-boot-firmware-uefi').check();
  assert.equal(await editor.getByTestId('vm-boot-save').isDisabled(), true, 'UEFI with 128 MiB cannot be applied');
  assert.match((await editor.textContent()) ?? '', /UEFI needs at least 256 MiB/);
  await editor.getByTestId('vm-boot-firmware-bios').check();
  await editor.getByTestId('vm-boot-on-disk-1').check();
  await editor.getByTestId('vm-boot-up-disk-1').click();
  await page.screenshot({ path: `${artifacts}/vm-boot-editor.png` });
  await editor.getByTestId('vm-boot-save').click();

  const orders = async () => {
    const xml = (await virsh(host, 'dumpxml', '--inactive', vm.uuid)).stdout;
    return [...xml.matchAll(/<target dev='(\w+)'[^>]*\/>[\s\S]*?<boot order='(\d)'\/>/g)].map((m) => `${m[1]}=${m[2]}`);
  };
  await waitFor(
    'vdb first, then vda, in libvirt',
    async () => (await orders()).join(' ') === 'vda=2 vdb=1',
    60_000,
    500,
  );
  await waitFor(
    'the Hardware tab follows',
    async () => ((await page.getByTestId('vm-boot-order').textContent()) ?? '').includes('Disk 2 → Disk 1'),
    30_000,
    250,
  );
  await page.screenshot({ path: `${artifacts}/vm-boot-order-saved.png` });
});
