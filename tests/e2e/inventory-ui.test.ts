/**
 * The Inventory page in Chromium: the tree is walked with the mouse and the keyboard (arrows,
 * Enter) down to a VM; a datacenter and a cluster are made and the cluster renamed from the UI;
 * the host page lists the host's VM and that VM's tasks.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, removeVms, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/inventory`;
let browser: Browser;
let page: Page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(page);
});

after(async () => {
  await browser?.close();
});

const node = (key: string) => page.locator(`[data-testid="inventory-node"][data-key="${key}"]`);
const selectedKey = () => page.locator('[data-testid="inventory-node"][aria-selected="true"]').getAttribute('data-key');

async function press(key: string, expectSelected?: string): Promise<void> {
  await page.keyboard.press(key);
  if (expectSelected) await node(expectSelected).and(page.locator('[aria-selected="true"]')).waitFor();
}

test('tree by mouse and keyboard down to a VM; cluster made and renamed; host page lists VM and tasks', async () => {
  const { api } = await admin();
  const vmIds: string[] = [];
  after(() => removeVms(api, vmIds));
  const { vmId, vm } = await createTestVm(api, 'invui');
  vmIds.push(vmId);
  const tree = await api.inventory.tree.query();
  const host = tree.hosts.find((h) => h.id === vm.hostId);
  assert.ok(host);
  const cluster = tree.clusters.find((c) => c.id === host.clusterId);
  assert.ok(cluster);
  const dcKey = `datacenter:${cluster.datacenterId}`;
  const clusterKey = `cluster:${cluster.id}`;
  const hostKey = `host:${host.id}`;
  const vmKey = `vm:${vmId}`;

  await page.getByTestId('nav-inventory').click();
  await page.waitForURL(/\/inventory$/);
  await node(hostKey).waitFor();
  // Counts: the host shows its running/total VMs from the grouped query.
  assert.match((await node(hostKey).getByTestId('inventory-counts').textContent()) ?? '', /^\d+\/\d+$/);

  // Mouse: select the host, open it, its VM leaf loads.
  await node(hostKey).click();
  await page.locator(`[data-testid="inventory-details"][data-kind="host"][data-name="${host.name}"]`).waitFor();
  await node(hostKey).getByTestId('inventory-toggle').click();
  await node(vmKey).waitFor();
  await node(vmKey).click();
  await page.locator(`[data-testid="inventory-details"][data-kind="vm"][data-name="${vm.name}"]`).waitFor();

  // Keyboard: ← collapses an open node, then goes to its parent; Enter toggles; → enters; ↓ walks.
  await node(dcKey).click();
  await press('ArrowDown', clusterKey);
  await press('ArrowLeft');
  await node(hostKey).waitFor({ state: 'detached' });
  assert.equal(await node(clusterKey).getAttribute('aria-expanded'), 'false');
  await press('ArrowLeft', dcKey);
  await press('ArrowLeft');
  await node(clusterKey).waitFor({ state: 'detached' });
  assert.equal(await node(dcKey).getAttribute('aria-expanded'), 'false');
  await press('Enter');
  await press('ArrowRight', clusterKey);
  await press('Enter');
  await node(hostKey).waitFor();
  // Down through the cluster's hosts (sorted by name) to ours, whose VM leaves are still open.
  for (let i = 0; i < tree.hosts.length + 2 && (await selectedKey()) !== hostKey; i++) await press('ArrowDown');
  assert.equal(await selectedKey(), hostKey);
  await press('ArrowLeft'); // collapse the host
  await node(vmKey).waitFor({ state: 'detached' });
  await press('ArrowRight'); // expand it
  await node(vmKey).waitFor();
  await press('ArrowRight'); // into its first VM
  await page.locator('[data-testid="inventory-node"][data-kind="vm"][aria-selected="true"]').waitFor();
  await page.locator('[data-testid="inventory-details"][data-kind="vm"]').waitFor();
  await page.screenshot({ path: `${artifacts}/tree-keyboard.png` });

  // A datacenter and a cluster from the UI, then the cluster renamed.
  const dcName = uniqueName('ui-dc');
  await page.getByTestId('inventory-new-datacenter').click();
  await page.getByTestId('inventory-name-input').fill(dcName);
  await page.getByTestId('dialog-submit').click();
  await page.locator(`[data-testid="inventory-details"][data-kind="datacenter"][data-name="${dcName}"]`).waitFor();
  await page.getByTestId('inventory-new-cluster').click();
  await page.getByTestId('inventory-name-input').fill('blue');
  await page.getByTestId('dialog-submit').click();
  await page.locator('[data-testid="inventory-details"][data-kind="cluster"][data-name="blue"]').waitFor();
  await page.getByTestId('inventory-rename').click();
  await page.getByTestId('inventory-name-input').fill('green');
  await page.getByTestId('dialog-submit').click();
  await page.locator('[data-testid="inventory-details"][data-kind="cluster"][data-name="green"]').waitFor();
  await page.locator('[data-testid="inventory-node"][data-kind="cluster"][data-name="green"]').waitFor();
  await page.getByTestId('inventory-settings').click();
  await page.getByTestId('cluster-settings-dialog').waitFor();
  await page.screenshot({ path: `${artifacts}/cluster-settings.png` });
  await page.getByTestId('cluster-placement-policy').selectOption('packed');
  await page.getByTestId('dialog-submit').click();
  await page.getByTestId('cluster-settings-dialog').waitFor({ state: 'detached' });
  const made = (await api.inventory.tree.query()).clusters.find((c) => c.name === 'green');
  assert.ok(made, 'the server has the renamed cluster');
  assert.equal((await api.inventory.clusterSettings.query({ clusterId: made.id })).placementPolicy, 'packed');
  await page.screenshot({ path: `${artifacts}/inventory-cluster.png` });

  // Deleted from the UI after a confirmation; the datacenter then goes too.
  await page.getByTestId('inventory-delete').click();
  await page.getByTestId('cluster-delete-dialog').waitFor();
  await page.getByTestId('confirm-ok').click();
  await page.locator('[data-testid="inventory-node"][data-kind="cluster"][data-name="green"]').waitFor({
    state: 'detached',
  });
  await api.inventory.deleteDatacenter.mutate({ datacenterId: made.datacenterId });

  // The host page, reached from the tree: its VM and the VM's creation task.
  await node(hostKey).click();
  await page.getByTestId('inventory-host-link').click();
  await page.waitForURL(new RegExp(`/hosts/${host.id}$`));
  await page.locator(`[data-testid="host-vm-row"][data-name="${vm.name}"]`).waitFor();
  await page.locator('[data-testid="host-task-row"][data-kind="vm.create"]').first().waitFor();
  await page.getByTestId('host-activity-events').waitFor();
  await page.screenshot({ path: `${artifacts}/host-page.png`, fullPage: true });
});
