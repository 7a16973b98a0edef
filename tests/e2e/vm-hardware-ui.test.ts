/**
 * In Chromium: create a VM from the form with UEFI, an extra SATA disk and a network card; its
 * page's Hardware section shows the disk (pool/volume, bus, size) and the NIC (MAC, network),
 * and libvirt has the same. Screenshots of the form and the section are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, uniqueName, waitTask } from '../support/api.ts';
import { launchChromium, logInPage, openVmTab, openNewVmForm } from '../support/browser.ts';
import { ensureHardwareFixtures, TEST_NETWORKS } from '../support/hardware-fixtures.ts';
import { hostOfDomain, virsh } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  await ensureHardwareFixtures();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});
after(async () => browser?.close());

test('create a VM with an extra disk and NIC from the form; the Hardware section shows them', async () => {
  await logInPage(page);
  await openNewVmForm(page);
  const name = uniqueName('hwui');
  await page.getByTestId('vm-name').fill(name);
  // OVMF needs 256 MiB (see UEFI_MIN_MEMORY_MIB).
  await page.getByTestId('vm-memory').fill('256');
  await page.getByTestId('vm-start-after').uncheck();
  await page.getByTestId('vm-firmware').selectOption('uefi');
  await page.getByTestId('vm-extra-nic').check();
  await page.getByTestId('vm-nic-network').fill(TEST_NETWORKS[1]);
  await page.getByTestId('vm-nic-model').selectOption('e1000');
  await page.getByTestId('vm-extra-disk').check();
  await page.getByTestId('vm-disk-size').fill('0');
  await page.getByTestId('vm-create-submit').click();
  // A disk of 0 GiB is refused in the form, before anything is sent.
  await page.getByTestId('field-error-diskSizeGiB').waitFor();
  await page.getByTestId('vm-disk-size').fill('0.5');
  await page.getByTestId('vm-disk-bus').selectOption('sata');
  await page.screenshot({ path: `${artifacts}/vm-hardware-form.png` });
  await page.getByTestId('vm-create-submit').click();
  await page.waitForURL(/\/vms\/(?!new\b)[^/?]+\?task=/, { timeout: 60_000 });
  // The page follows the create task (?task=): its outcome, with the reason if it failed.
  const createTaskId = new URL(page.url()).searchParams.get('task');
  assert.ok(createTaskId, `the VM page follows the create task (${page.url()})`);
  const created = await waitTask((await admin()).api, createTaskId, 120_000);
  assert.equal(created.state, 'succeeded', created.errorMessage ?? '');
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 60_000 });

  await openVmTab(page, 'hardware');
  const section = page.getByTestId('vm-hardware');
  await section.getByTestId('vm-disk-row').nth(1).waitFor();
  await page.locator('[data-testid="vm-hardware"] td', { hasText: '-disk1.qcow2' }).waitFor({ timeout: 15_000 });
  const disks = await section.getByTestId('vm-disk-row').allInnerTexts();
  assert.equal(disks.length, 2, disks.join(' | '));
  assert.match(disks[1] ?? '', /default\/[0-9a-f-]{36}-disk1\.qcow2\s+sata\s+512 MiB/);
  assert.match(await page.getByTestId('vm-firmware-value').innerText(), /UEFI/);
  const nics = await section.getByTestId('vm-nic-row').allInnerTexts();
  assert.equal(nics.length, 1);
  assert.match(nics[0] ?? '', new RegExp(`NIC 1\\s+e1000\\s+52:54:00(:[0-9a-f]{2}){3}\\s+${TEST_NETWORKS[1]}`));
  const mac = await section.getByTestId('vm-nic-mac').innerText();
  await section.screenshot({ path: `${artifacts}/vm-hardware-section.png` });
  await page.screenshot({ path: `${artifacts}/vm-hardware-page.png`, fullPage: true });

  // libvirt has what the page shows.
  const { api } = await admin();
  const vmId = new URL(page.url()).pathname.split('/').pop() ?? '';
  const vm = await api.vm.byId.query({ vmId });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  const xml = (await virsh(host, 'dumpxml', vm.uuid)).stdout;
  assert.match(xml, new RegExp(`<mac address='${mac}'/>`));
  assert.match(xml, /<target dev='sda' bus='sata'\/>/);
  assert.match(xml, /<os firmware='efi'>/);

  const del = await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  assert.equal(del.state, 'succeeded', del.errorMessage ?? '');
});

test('sizing typed before the template list arrives is kept; the template still gets picked', async () => {
  // Hold back the template list (a slow manager), so the user types first.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route('**/api/trpc/**', async (route) => {
    if (route.request().url().includes('template.list')) await held;
    await route.continue();
  });
  try {
    await page.goto(`${new URL(page.url()).origin}/vms/new`);
    await page.getByTestId('vm-memory').fill('384');
    await page.getByTestId('vm-vcpus').fill('2');
    assert.equal(await page.getByTestId('vm-template').inputValue(), '', 'no template yet');
    release();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="vm-template"]') as HTMLSelectElement | null)?.value !== '',
    );
    assert.equal(await page.getByTestId('vm-memory').inputValue(), '384');
    assert.equal(await page.getByTestId('vm-vcpus').inputValue(), '2');
  } finally {
    release();
    await page.unroute('**/api/trpc/**');
  }
});
