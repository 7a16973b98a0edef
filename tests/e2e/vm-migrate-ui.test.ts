/**
 * In Chromium, on a stopped VM's page: More → Migrate lists the other lab host with its
 * pre-checks and an estimate; Migrate moves the VM (a cold migration: its definition), the
 * dialog follows the task to 100 %, and the page shows the new host without a reload. libvirt
 * has the domain on the target only. Screenshots of the dialog are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Api, admin, createTestVm, removeVms } from '../support/api.ts';
import { clickMoreAction, launchChromium, logInPage } from '../support/browser.ts';
import { domState, hostOfDomain, lab } from '../support/lab.ts';

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

test('Migrate on the VM page lists targets with their checks and moves the VM', async () => {
  const { vmId, vm } = await createTestVm(api, 'migui', { start: false });
  made.push(vmId);
  const source = await hostOfDomain(vm.uuid);
  assert.ok(source);
  const target = lab().hosts.find((h) => h.name !== source.name);
  assert.ok(target);

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 30_000 });
  await clickMoreAction(page, 'vm-migrate');
  const dialog = page.getByTestId('migrate-dialog');
  const option = dialog.locator('[data-testid="migrate-target"]', { hasText: target.name });
  await option.waitFor({ timeout: 15_000 });
  assert.equal(await option.getAttribute('data-ok'), 'true');
  assert.match(await option.innerText(), /cold, shared storage/);
  assert.match(await option.innerText(), /MiB free for VMs/);
  await dialog.getByTestId('migrate-estimate').waitFor();
  await page.screenshot({ path: `${artifacts}/vm-migrate-dialog.png` });

  await dialog.getByTestId('migrate-submit').click();
  await dialog.getByTestId('migrate-progress').getByText('100%').waitFor({ timeout: 60_000 });
  assert.match(await dialog.getByTestId('migrate-progress').innerText(), new RegExp(`to ${target.name}`));
  await page.screenshot({ path: `${artifacts}/vm-migrate-done.png` });
  // The page follows without a reload.
  await page.locator('[data-testid="vm-host"]', { hasText: target.name }).waitFor({ timeout: 15_000 });

  assert.equal(await domState(target, vm.uuid), 'shut off');
  assert.equal(await domState(source, vm.uuid), null);
  assert.equal((await api.vm.byId.query({ vmId })).hostName, target.name);
});
