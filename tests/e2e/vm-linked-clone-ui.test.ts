/**
 * In Chromium, on the page of a stopped disk-template VM with a snapshot: the Clone dialog offers
 * "Linked to snapshot", says the snapshot's disks become the shared template `<vm>@<snapshot>`,
 * follows the task to a link to the new VM, whose disk is an overlay on that template's base.
 * Screenshots of the dialog before and after are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Api, admin, uniqueName, waitTask } from '../support/api.ts';
import { clickMoreAction, launchChromium, logInPage } from '../support/browser.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;
let api: Api;
const made: string[] = [];
let templateId: string | null = null;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ api } = await admin());
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});
after(async () => {
  await browser?.close();
  for (const vmId of made.reverse()) {
    const del = await api.vm.delete.mutate({ vmId }).catch(() => null);
    if (del) await waitTask(api, del.taskId).catch(() => {});
  }
  if (templateId) await api.template.delete.mutate({ templateId }).catch(() => {});
});

test('Clone → Linked to snapshot makes a clone on the snapshot’s template', async () => {
  const bios = (await api.template.list.query()).find((t) => t.name === 'vireo-tiny-bios');
  assert.ok(bios);
  const { taskId, vmId } = await api.vm.create.mutate({
    name: uniqueName('lui'),
    templateId: bios.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
  });
  made.push(vmId);
  assert.equal((await waitTask(api, taskId, 120_000)).state, 'succeeded');
  const vm = await api.vm.byId.query({ vmId });
  const snap = await waitTask(api, (await api.snapshot.create.mutate({ vmId, name: 'ui1', withMemory: false })).taskId);
  assert.equal(snap.state, 'succeeded', snap.errorMessage ?? '');

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 60_000 });
  await clickMoreAction(page, 'vm-clone');
  const dialog = page.getByTestId('clone-dialog');
  await dialog.getByTestId('clone-mode-linked').check();
  assert.equal(await dialog.getByTestId('clone-snapshot').inputValue(), 'ui1');
  assert.match(await dialog.getByTestId('clone-linked-note').innerText(), new RegExp(`${vm.name}@ui1`));
  const name = uniqueName('luicl');
  await dialog.getByTestId('clone-name').fill(name);
  await page.screenshot({ path: `${artifacts}/vm-linked-clone-dialog.png` });
  await dialog.getByTestId('clone-submit').click();
  await dialog.getByTestId('clone-open').waitFor({ timeout: 120_000 });
  await page.screenshot({ path: `${artifacts}/vm-linked-clone-done.png` });

  const clone = (await api.vm.list.query({ name })).rows.find((r) => r.name === name);
  assert.ok(clone, 'the clone is listed');
  made.push(clone.id);
  const tpl = (await api.template.list.query()).find((t) => t.name === `${vm.name}@ui1`);
  assert.ok(tpl, 'the snapshot’s template exists');
  templateId = tpl.id;
  assert.equal(tpl.versions[0]?.vmCount, 1);
  const hw = await api.vm.hardware.query({ vmId: clone.id });
  assert.equal(hw.disks[0]?.volume, `${clone.uuid}-disk0.qcow2`, 'the clone has its own overlay volume');
});
