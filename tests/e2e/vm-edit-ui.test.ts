/**
 * In Chromium, on a running VM's page: "Add disk" in the Hardware section hot-adds a blank disk
 * (libvirt's live domain gets vdb, the disk table a new row), and its Remove button hot-removes
 * it (gone from libvirt and the table). Screenshots are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, waitTask } from '../support/api.ts';
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
  for (const vmId of made) {
    await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
  }
});

test('Add disk and Remove on a running VM’s page hot-plug a disk', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'editui');
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 30_000 });
  const rows = page.getByTestId('vm-disk-row');
  await rows.first().waitFor({ timeout: 30_000 }); // the hardware query has answered
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
});
