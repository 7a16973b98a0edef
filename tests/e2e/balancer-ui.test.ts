/**
 * The cluster's Balance panel in Chromium: with two running VMs put on one host, "Preview plan"
 * shows the planner's moves with their explanations and the spread before → after; "Apply" (after
 * its confirmation) runs them, and the panel's report ends with each move moved.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, removeVms, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { hostOfDomain, lab } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/balancer`;
let browser: Browser;
let page: Page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await logInPage(page);
});

after(async () => {
  await browser?.close();
});

test('the Balance panel previews explained moves and applies them', async () => {
  const { api } = await admin();
  const vmIds: string[] = [];
  const hostA = lab().hosts[0];
  assert.ok(hostA);
  const host = (await api.host.list.query()).find((h) => h.name === hostA.name);
  assert.ok(host);
  const clusterId = (await api.inventory.tree.query()).hosts.find((h) => h.id === host.id)?.clusterId ?? '';
  assert.ok(clusterId, 'the host is in a cluster');
  const saved = await api.inventory.clusterSettings.query({ clusterId });
  after(async () => {
    await api.inventory.setClusterSettings
      .mutate({ clusterId, settings: { balancerThreshold: saved.balancerThreshold, balancerMode: saved.balancerMode } })
      .catch(() => {});
    await removeVms(api, vmIds);
  });
  for (let i = 1; i <= 2; i++) {
    const { vmId, vm } = await createTestVm(api, `lbui${i}`);
    vmIds.push(vmId);
    if (vm.hostId !== host.id) {
      const { taskId } = await api.vm.migrate.mutate({ vmId, targetHostId: host.id });
      assert.equal((await waitTask(api, taskId, 120_000)).state, 'succeeded');
    }
    assert.equal((await hostOfDomain(vm.uuid))?.name, hostA.name);
  }

  await page.getByTestId('nav-inventory').click();
  await page.waitForURL(/\/inventory$/);
  await page.locator(`[data-testid="inventory-node"][data-key="cluster:${clusterId}"]`).click();
  const panel = page.getByTestId('balance-panel');
  await panel.waitFor();
  // The threshold from the panel's own settings (small VMs on big hosts gain under a point).
  await panel.getByTestId('balance-threshold').fill('0.1');
  await panel.getByTestId('balance-save').click();
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-testid="balance-save"]') as HTMLButtonElement | null;
    return b?.disabled === true;
  });
  assert.equal((await api.inventory.clusterSettings.query({ clusterId })).balancerThreshold, 0.1);

  await panel.getByTestId('balance-preview').click();
  await panel.getByTestId('balance-plan').waitFor();
  const expected = await api.balancer.plan.query({ clusterId });
  assert.ok(expected.moves.length >= 1, expected.summary);
  const shown = await panel.getByTestId('balance-move').allTextContents();
  assert.equal(shown.length, expected.moves.length);
  for (const m of expected.moves) {
    assert.ok(
      shown.some((s) => s.includes(m.explanation)),
      `shown: ${m.explanation}`,
    );
  }
  assert.match(
    (await panel.getByTestId('balance-spread').textContent()) ?? '',
    new RegExp(`${expected.spreadBefore} → ${expected.spreadAfter} pts`),
  );
  await page.screenshot({ path: `${artifacts}/balance-preview.png`, fullPage: true });

  await panel.getByTestId('balance-apply').click();
  await page.getByTestId('balance-confirm').getByTestId('confirm-ok').click();
  await page.locator('[data-testid="balance-report-state"]', { hasText: 'done' }).waitFor({ timeout: 240_000 });
  const outcomes = await panel.getByTestId('balance-outcome').allTextContents();
  assert.equal(outcomes.length, expected.moves.length);
  for (const o of outcomes) assert.match(o, /^moved/);
  await page.screenshot({ path: `${artifacts}/balance-applied.png`, fullPage: true });
});
