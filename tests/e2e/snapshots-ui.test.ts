/**
 * In Chromium, on a VM's page: take a snapshot (memory included: the VM runs), see it in the
 * tree marked current, take a second one, revert to the first through the confirmation dialog,
 * and see the current mark move (and libvirt agree). Screenshots are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { hostOfDomain, virsh, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
});
after(async () => browser?.close());

async function takeSnapshot(name: string) {
  await page.getByTestId('snapshot-new').click();
  await page.getByTestId('snapshot-name').fill(name);
  await page.getByTestId('snapshot-create').click();
  await page
    .locator(`[data-testid="snapshot-row"][data-name="${name}"][data-current="yes"]`)
    .waitFor({ timeout: 90_000 });
}

test('snapshots on the VM page: create, tree with the current one marked, revert with confirmation', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'snapui');
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}?tab=snapshots`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  const panel = page.getByTestId('vm-snapshots');
  await panel.getByText('No snapshots yet.').waitFor();

  await page.getByTestId('snapshot-new').click();
  assert.match(await page.getByTestId('snapshot-kind').innerText(), /disks and memory/);
  await page.getByTestId('snapshot-name').fill('first');
  await page.getByTestId('snapshot-create').click();
  await page
    .locator('[data-testid="snapshot-row"][data-name="first"][data-current="yes"]')
    .waitFor({ timeout: 90_000 });
  assert.match(await page.locator('[data-testid="snapshot-row"][data-name="first"]').innerText(), /disks \+ memory/);

  await takeSnapshot('second');
  // The tree: second is first's child (indented), and now the current one.
  const rows = page.getByTestId('snapshot-row');
  assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), ['first', 'second']);
  assert.equal(
    await page.locator('[data-testid="snapshot-row"][data-name="first"]').getAttribute('data-current'),
    'no',
  );
  await page.screenshot({ path: `${artifacts}/snapshots-tree.png`, fullPage: true });

  await page.locator('[data-testid="snapshot-row"][data-name="first"]').getByTestId('snapshot-revert').click();
  const dialog = page.getByTestId('snapshot-revert-dialog');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /comes back running/);
  await page.screenshot({ path: `${artifacts}/snapshots-revert-confirm.png` });
  await dialog.getByTestId('confirm-ok').click();
  await page
    .locator('[data-testid="snapshot-row"][data-name="first"][data-current="yes"]')
    .waitFor({ timeout: 90_000 });
  await waitFor(
    'libvirt to have "first" as current',
    async () => (await virsh(host, 'snapshot-current', vm.uuid, '--name')).stdout.trim() === 'first',
    15_000,
    250,
  );
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  await page.screenshot({ path: `${artifacts}/snapshots-reverted.png`, fullPage: true });

  assert.equal((await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId)).state, 'succeeded');
  const deleted = await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  assert.equal(deleted.state, 'succeeded', `a VM with snapshots deletes: ${deleted.errorMessage}`);
});
