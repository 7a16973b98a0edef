/**
 * HA settings in Chromium (issue 9): turning HA on in a VM's High availability section (the
 * header then shows the HA badge), the cluster's HA panel with its admission report, and a
 * host's fence device: the lab's fence_vireo_lab with plug=<lab host>, whose "Test fence
 * device" reports power "on" for a running lab host. Screenshots at desktop and phone width.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, removeVms } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { lab } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/ha-settings`;
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

/** Every input of the box ends inside it (the page scrolls in its main pane, so the document never overflows). */
async function fitsIn(p: Page, testId: string): Promise<boolean> {
  return p.getByTestId(testId).evaluate((el) => {
    const right = el.getBoundingClientRect().right;
    return Array.from(el.querySelectorAll('input, select, button')).every(
      (e) => e.getBoundingClientRect().right <= right,
    );
  });
}

test('HA on a VM, the cluster HA panel, and a tested fence device', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'haui', { start: false });
  const hostId = vm.hostId;
  assert.ok(hostId);
  const host = (await api.host.list.query()).find((h) => h.id === hostId);
  assert.ok(host);
  const labHost = lab().hosts.find((h) => h.name === host.name);
  assert.ok(labHost, `${host.name} is a lab host`);
  after(async () => {
    await api.haSettings.setFence.mutate({ hostId, agent: '', options: {} }).catch(() => {});
    await removeVms(api, [vmId]);
  });

  // VM page: Hardware tab → High availability.
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}?tab=hardware`);
  const section = page.getByTestId('vm-ha');
  await section.waitFor();
  assert.equal(await page.getByTestId('vm-ha-badge').count(), 0, 'no HA badge before');
  await section.getByTestId('vm-ha-on').check();
  await section.getByTestId('vm-ha-priority').fill('70');
  await section.getByTestId('vm-ha-save').click();
  await page.getByTestId('vm-ha-badge').waitFor();
  assert.match((await page.getByTestId('vm-ha-badge').textContent()) ?? '', /HA · 70/);
  const ha = await api.haSettings.vm.query({ vmId });
  assert.equal(ha.enabled, true);
  assert.equal(ha.priority, 70);
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/vm-ha.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 900 });
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/vm-ha-390.png` });
  assert.ok(await fitsIn(page, 'vm-ha'), 'the HA section fits at 390 px');
  await page.setViewportSize({ width: 1440, height: 1000 });

  // Cluster panel: the HA settings and the admission report (reserve 1: the VM restarts elsewhere).
  const clusterId = (await api.inventory.tree.query()).hosts.find((h) => h.id === hostId)?.clusterId ?? '';
  const saved = await api.haSettings.cluster.query({ clusterId });
  after(async () => {
    await api.haSettings.updateCluster
      .mutate({
        clusterId,
        hostDownAfterS: saved.hostDownAfterS,
        heartbeatStaleAfterS: saved.heartbeatStaleAfterS,
        heartbeatIntervalS: saved.heartbeatIntervalS,
        selfFenceAfterS: saved.selfFenceAfterS,
        reserveHostFailures: saved.reserveHostFailures,
        admission: saved.admission,
      })
      .catch(() => {});
  });
  await page.getByTestId('nav-inventory').click();
  await page.waitForURL(/\/inventory$/);
  await page.locator(`[data-testid="inventory-node"][data-key="cluster:${clusterId}"]`).click();
  const panel = page.getByTestId('cluster-ha-panel');
  await panel.waitFor();
  await panel.getByTestId('cluster-ha-reserveHostFailures').fill('1');
  await panel.getByTestId('cluster-ha-save').click();
  await panel
    .locator('[data-testid="cluster-ha-admission-summary"]', { hasText: 'would restart if any one host failed' })
    .waitFor();
  assert.equal((await api.haSettings.cluster.query({ clusterId })).reserveHostFailures, 1);
  const rows = await panel.locator('tbody tr').allTextContents();
  assert.ok(
    rows.some((r) => r.startsWith(host.name) && r.includes(`${vm.name} →`)),
    `the row for ${host.name} restarts ${vm.name}: ${rows.join(' | ')}`,
  );
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/cluster-ha.png`, fullPage: true });

  // Host page: fence device form, saved, then tested.
  await page.goto(`${process.env.VIREO_TEST_URL}/hosts/${hostId}`);
  const fence = page.getByTestId('host-fence');
  await fence.waitFor();
  await fence.getByTestId('fence-agent').fill('fence_vireo_lab');
  await fence.getByTestId('fence-option-add').click();
  await fence.getByTestId('fence-option-name').last().fill('plug');
  await fence.getByTestId('fence-option-value').last().fill(labHost.name);
  await fence.getByTestId('fence-save').click();
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-testid="fence-save"]') as HTMLButtonElement | null;
    return b?.disabled === true && b.textContent === 'Save';
  });
  const stored = await api.haSettings.fence.query({ hostId });
  assert.equal(stored.agent, 'fence_vireo_lab');
  assert.deepEqual(stored.options, { plug: labHost.name });
  await fence.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/host-fence-form.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 900 });
  await fence.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/host-fence-form-390.png` });
  assert.ok(await fitsIn(page, 'host-fence'), 'the fence form fits at 390 px');
  await page.setViewportSize({ width: 1440, height: 1000 });

  await fence.getByTestId('fence-test').click();
  await fence
    .locator('[data-testid="fence-test-result"], [data-testid="fence-error"]')
    .first()
    .waitFor({ timeout: 60_000 });
  const errors = await fence.getByTestId('fence-error').allTextContents();
  assert.deepEqual(errors, [], 'the fence test gives no error');
  const result = (await fence.getByTestId('fence-test-result').textContent()) ?? '';
  assert.equal(await fence.getByTestId('fence-test-power').textContent(), 'on', result);
  assert.equal(await page.getByTestId('host-ha-badge').count(), 0, 'a connected host is HA "ok": no badge');
  await fence.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/host-fence.png`, fullPage: true });

  // Phone width: the fence form and the VM section stay usable (no sideways scrolling).
  await page.setViewportSize({ width: 390, height: 900 });
  await fence.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/host-fence-390.png`, fullPage: true });
  assert.ok(await fitsIn(page, 'host-fence'), 'the fence form and its test result fit at 390 px');
});
