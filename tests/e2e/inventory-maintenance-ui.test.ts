/**
 * In Chromium: the Inventory tree shows a maintenance badge on a host put into maintenance while
 * the page is open (live, no reload) and drops it when the host leaves maintenance; the host page
 * shows the CPU the host's agent reports (vendor, model, features). Screenshots are artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Api, admin } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { lab } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;
let api: Api;
let hostId = '';

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ api } = await admin());
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(page);
});
after(async () => {
  await browser?.close();
  if (hostId) await api.host.exitMaintenance.mutate({ hostId }).catch(() => {});
});

test('the tree badges a host in maintenance live; the host page shows its CPU', async () => {
  const labHost = lab().hosts.at(-1);
  assert.ok(labHost);
  const host = (await api.host.list.query()).find((h) => h.name === labHost.name);
  assert.ok(host, `${labHost.name} is known`);
  hostId = host.id;
  const node = page.locator(`[data-testid="inventory-node"][data-key="host:${host.id}"]`);

  await page.goto(`${process.env.VIREO_TEST_URL}/inventory`);
  await node.waitFor();
  assert.equal(await node.getByTestId('maintenance-badge').count(), 0, 'no badge in normal use');

  // Force: maintenance at once, whatever VMs are there (they stay).
  assert.equal((await api.host.enterMaintenance.mutate({ hostId, force: true })).state, 'maintenance');
  const badge = node.getByTestId('maintenance-badge');
  await badge.waitFor({ timeout: 15_000 });
  assert.equal((await badge.textContent())?.trim(), 'maintenance');
  await page.screenshot({ path: `${artifacts}/inventory-maintenance-badge.png` });

  await api.host.exitMaintenance.mutate({ hostId });
  await badge.waitFor({ state: 'detached', timeout: 15_000 });
  hostId = '';

  await page.goto(`${process.env.VIREO_TEST_URL}/hosts/${host.id}`);
  const features = page.getByTestId('host-cpu-features');
  await features.waitFor();
  assert.match((await features.textContent()) ?? '', /^\d+ beyond the model$/);
  assert.ok(host.cpuVendor, 'the host reports its CPU vendor');
  await page.getByText(`× ${host.cpuVendor} ${host.cpuModel}`).waitFor();
  await page.screenshot({ path: `${artifacts}/host-cpu.png` });
});
