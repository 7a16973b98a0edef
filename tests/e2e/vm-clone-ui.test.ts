/**
 * In Chromium, on a stopped VM's page: Clone opens a dialog with a name, the clone's progress is
 * followed in the dialog until it offers a link to the new VM, and libvirt has the clone's domain
 * on the source's host. Screenshots of the dialog before and after are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Api, admin, defaultTemplate, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { clickMoreAction, launchChromium, logInPage } from '../support/browser.ts';
import { hostOfDomain, virsh, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;
let api: Api;
const made: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ api } = await admin());
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});
after(async () => {
  await browser?.close();
  await removeVms(api, made);
});

test('Clone on the VM page makes a new VM and links to it', async () => {
  const template = await defaultTemplate(api);
  const { taskId, vmId } = await api.vm.create.mutate({
    name: uniqueName('clui'),
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
  });
  made.push(vmId);
  assert.equal((await waitTask(api, taskId, 120_000)).state, 'succeeded');
  const vm = await api.vm.byId.query({ vmId });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 60_000 });
  await clickMoreAction(page, 'vm-clone');
  const dialog = page.getByTestId('clone-dialog');
  const name = uniqueName('cluicopy');
  await dialog.getByTestId('clone-name').fill(name);
  await page.screenshot({ path: `${artifacts}/vm-clone-dialog.png` });
  await dialog.getByTestId('clone-submit').click();
  await dialog.getByTestId('clone-open').waitFor({ timeout: 120_000 });
  assert.match(await dialog.getByTestId('clone-progress').innerText(), /100%/);
  await page.screenshot({ path: `${artifacts}/vm-clone-done.png` });

  const clone = (await api.vm.list.query({ name })).rows.find((r) => r.name === name);
  assert.ok(clone, 'the clone is listed');
  made.push(clone.id);
  assert.equal((await virsh(host, 'domstate', clone.uuid)).stdout.trim(), 'shut off');
  await dialog.getByTestId('clone-open').click();
  await waitFor('the clone’s page', async () => page.url().endsWith(`/vms/${clone.id}`), 15_000);
  await page.getByText(name).first().waitFor({ timeout: 15_000 });
});
