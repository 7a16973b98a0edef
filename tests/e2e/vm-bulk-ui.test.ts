/**
 * In Chromium: tag a VM on its page, check rows in the VM list with the keyboard, run a bulk
 * start through its dry run, read the per-VM results; save the search and delete all its VMs from
 * it (typing the count to confirm). Checked in libvirt. Screenshots are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { domState, hostOfDomain, type LabHost } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
});
after(async () => browser?.close());

test('select rows → dry run → run → per-VM results; a saved search → delete all, count typed', async () => {
  const { api } = await admin();
  const prefix = uniqueName('bui');
  const made = await Promise.all([0, 1, 2].map(() => createTestVm(api, prefix, { start: false })));
  const vms = made.map((m) => m.vm).sort((a, b) => a.name.localeCompare(b.name));
  const [first, second, third] = vms as [(typeof vms)[0], (typeof vms)[0], (typeof vms)[0]];
  await logInPage(page);

  // A tag added on the VM page shows there and in the list.
  const tag = `ui-${prefix.slice(4)}`;
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${first.id}`);
  await page.getByTestId('vm-tag-input').fill(tag);
  await page.getByTestId('vm-tag-add').click();
  await page.locator(`[data-testid="vm-tag"][data-tag="${tag}"]`).waitFor();
  assert.deepEqual((await api.vm.byId.query({ vmId: first.id })).tags, [tag]);

  await page.goto(`${process.env.VIREO_TEST_URL}/vms?q=${prefix}`);
  await page.locator('[data-testid="vm-table"][data-total="3"]').waitFor();
  assert.equal(await page.getByTestId('vm-row-tag').count(), 1);
  // Keyboard: select the first row, check it, move down, check the second.
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  assert.equal(await page.getByTestId('bulk-target').innerText(), '2 selected');
  await page.getByTestId('bulk-action-start').click();
  const dialog = page.getByTestId('bulk-dialog');
  await dialog.getByTestId('bulk-summary').waitFor();
  const planned = await dialog
    .getByTestId('bulk-plan-row')
    .evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-name')}:${r.getAttribute('data-outcome')}`));
  assert.deepEqual(planned, [`${first.name}:run`, `${second.name}:run`]);
  await page.screenshot({ path: `${artifacts}/vm-bulk-dry-run.png` });
  await dialog.getByTestId('bulk-confirm').click();
  await dialog.locator('[data-testid="bulk-job-state"][data-state="succeeded"]').waitFor({ timeout: 90_000 });
  const results = await dialog
    .getByTestId('bulk-result-row')
    .evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-name')}:${r.getAttribute('data-outcome')}`));
  assert.deepEqual(results, [`${first.name}:succeeded`, `${second.name}:succeeded`]);
  await page.screenshot({ path: `${artifacts}/vm-bulk-results.png` });
  await dialog.getByTestId('bulk-close').click();

  const hosts = new Map<string, LabHost>();
  for (const vm of vms) {
    const host = await hostOfDomain(vm.uuid);
    assert.ok(host, `${vm.name} is defined in libvirt`);
    hosts.set(vm.uuid, host);
  }
  assert.equal(await domState(hosts.get(first.uuid) as LabHost, first.uuid), 'running');
  assert.equal(await domState(hosts.get(second.uuid) as LabHost, second.uuid), 'running');
  assert.equal(await domState(hosts.get(third.uuid) as LabHost, third.uuid), 'shut off');

  // Clear the selection and save the search; the bar then acts on all of it.
  await page.getByTestId('bulk-clear').click();
  await page.getByTestId('saved-search-save').click();
  await page.getByTestId('saved-search-name').fill(`all ${prefix}`);
  await page.getByTestId('saved-search-name').press('Enter');
  await page.locator('[data-testid="bulk-target"]', { hasText: `All of “all ${prefix}” (3)` }).waitFor();
  // Force off first (delete skips running VMs), then delete.
  for (const action of ['forceOff', 'delete'] as const) {
    await page.getByTestId(`bulk-action-${action}`).click();
    await dialog.getByTestId('bulk-summary').waitFor();
    const count = action === 'forceOff' ? '2' : '3';
    assert.equal(await dialog.getByTestId('bulk-confirm').isDisabled(), true, 'destructive: the count must be typed');
    await dialog.getByTestId('bulk-confirm-input').fill(count);
    if (action === 'delete') await page.screenshot({ path: `${artifacts}/vm-bulk-delete-confirm.png` });
    await dialog.getByTestId('bulk-confirm').click();
    await dialog.locator('[data-testid="bulk-job-state"][data-state="succeeded"]').waitFor({ timeout: 90_000 });
    await dialog.getByTestId('bulk-close').click();
  }
  for (const vm of vms) {
    assert.equal(await domState(hosts.get(vm.uuid) as LabHost, vm.uuid), null, `${vm.name} is gone from libvirt`);
  }
  await page.locator('[data-testid="vm-table"][data-total="0"]').waitFor({ timeout: 15_000 });
  const saved = (await api.savedSearch.list.query()).find((s) => s.name === `all ${prefix}`);
  assert.ok(saved);
  await api.savedSearch.delete.mutate({ id: saved.id });
});
