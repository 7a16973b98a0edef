/**
 * In Chromium: the Templates page lists the seeded bootable templates with their versions and
 * base volumes; the create form picks a disk template and full copies, and the VM made has its
 * own disk (no backing file); the page then counts the VM under the version. Screenshots saved.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, uniqueName, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});
after(async () => browser?.close());

test('Templates page lists versions; the create form makes a full copy of the chosen template', async () => {
  const { api } = await admin();
  const template = (await api.template.list.query()).find((t) => t.name === 'vireo-tiny-bios');
  assert.ok(template, 'the seeded BIOS template exists');
  const base = template.versions[0]?.disks[0]?.volume ?? '';

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/templates`);
  const section = page.getByTestId('template-vireo-tiny-bios');
  await section.getByTestId('template-version-row').first().waitFor();
  assert.match(await section.innerText(), new RegExp(`v1[\\s\\S]*BIOS[\\s\\S]*default/${base.replace('.', '\\.')}`));
  const vmsBefore = Number(await section.getByTestId('template-version-vms').first().innerText());
  await page.screenshot({ path: `${artifacts}/templates-page.png`, fullPage: true });

  await page.goto(`${process.env.VIREO_TEST_URL}/vms/new`);
  const name = uniqueName('tplui');
  await page.getByTestId('vm-name').fill(name);
  await page.getByTestId('vm-template').selectOption(template.id);
  await page.getByTestId('vm-template-version').waitFor();
  await page.getByTestId('vm-disk-mode').selectOption('full');
  await page.getByTestId('vm-start-after').uncheck();
  await page.screenshot({ path: `${artifacts}/templates-create-form.png` });
  await page.getByTestId('vm-create-submit').click();
  await page.waitForURL(/\/vms\/(?!new\b)[^/?]+\?task=/, { timeout: 60_000 });
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 90_000 });

  const vmId = new URL(page.url()).pathname.split('/').pop() ?? '';
  const hw = await api.vm.hardware.query({ vmId });
  const disk = hw.disks[0];
  assert.ok(disk?.path, 'the template disk was made');
  assert.equal(disk.owned, true);
  const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', disk.path], { encoding: 'utf8' }));
  assert.equal(info['backing-filename'], undefined, 'a full copy has no backing file');

  await page.goto(`${process.env.VIREO_TEST_URL}/templates`);
  await page
    .getByTestId('template-vireo-tiny-bios')
    .getByTestId('template-version-vms')
    .first()
    .filter({ hasText: String(vmsBefore + 1) })
    .waitFor({ timeout: 15_000 });
  // The make-a-template form explains that it copies and keeps the VM, and offers stopped VMs.
  await page.getByTestId('template-from-vm').click();
  const fromVm = page.getByTestId('template-from-vm-form');
  await fromVm.locator('option', { hasText: name }).waitFor({ state: 'attached' });
  assert.match(await fromVm.innerText(), /the VM is kept/);
  await page.screenshot({ path: `${artifacts}/templates-from-vm.png`, fullPage: true });

  const del = await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  assert.equal(del.state, 'succeeded', del.errorMessage ?? '');
});
