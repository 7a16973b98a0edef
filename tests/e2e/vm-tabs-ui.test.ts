/**
 * In Chromium, the VM page's tabs: each tab opens and shows its content, the tab is in the URL
 * (a deep link and a reload open it), arrow keys move along the ARIA tablist, the header's actions
 * fit one row at 1440 px with the rare ones in "More" (Escape closes it), the running task shows
 * on every tab, and "Tasks & events" lists this VM's tasks live and only for its owner and admins.
 * Screenshots of every tab, desktop and phone, are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, createTestVm, loginAs, rejection, uniqueName, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e/vm-tabs`;
const TABS = ['summary', 'console', 'hardware', 'snapshots', 'tasks'] as const;
/** What each tab shows: a test id inside its panel. */
const CONTENT: Record<(typeof TABS)[number], string> = {
  summary: 'performance',
  console: 'vnc-screen',
  hardware: 'vm-hardware',
  snapshots: 'vm-snapshots',
  tasks: 'vm-activity-tasks',
};
let browser: Browser;
let page: Page;
let vmId = '';

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const { api } = await admin();
  vmId = (await createTestVm(api, 'tabsui')).vmId;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await logInPage(page);
});
after(async () => {
  await browser?.close();
  if (!vmId) return;
  const { api } = await admin();
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
  await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
});

const selectedTab = async () =>
  page.locator('[data-testid="vm-tabs"] > [role="tab"][aria-selected="true"]').getAttribute('data-testid');
const focusedTestId = async () => page.evaluate('document.activeElement?.dataset?.testid') as Promise<string>;

test('each tab opens with its content, arrow keys move along the tablist, the URL follows', async () => {
  await page.goto(`${baseUrl()}/vms/${vmId}`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  assert.equal(await selectedTab(), 'vm-tab-summary', 'Summary is the default');
  await page.getByTestId('vm-details').waitFor();
  await page.getByTestId('performance').waitFor();
  // Uptime since the QEMU process started, ticking live (it re-renders every 5 s).
  const uptime = page.getByTestId('vm-uptime');
  const first = await waitFor(
    'an uptime on the Summary',
    async () => {
      const t = (await uptime.textContent()) ?? '';
      return /^\d+ (s|min)/.test(t) ? t : null;
    },
    15_000,
    250,
  );
  await waitFor('the uptime ticks', async () => ((await uptime.textContent()) ?? '') !== first, 15_000, 500);
  assert.equal(await page.getByTestId('vm-hardware').count(), 0, 'other tabs are not shown');

  // Keyboard: the selected tab is the one in the Tab order; → moves and opens the next.
  await page.getByTestId('vm-tab-summary').focus();
  for (const tab of TABS.slice(1)) {
    await page.keyboard.press('ArrowRight');
    await page.getByTestId(`vm-tabpanel-${tab}`).waitFor();
    await page.getByTestId(`vm-tabpanel-${tab}`).getByTestId(CONTENT[tab]).waitFor({ timeout: 60_000 });
    assert.equal(await selectedTab(), `vm-tab-${tab}`);
    assert.equal(await focusedTestId(), `vm-tab-${tab}`, 'focus moves with the selection');
    await waitFor(
      `?tab=${tab} in the URL`,
      async () => new URL(page.url()).searchParams.get('tab') === tab,
      5_000,
      100,
    );
    await page.screenshot({ path: `${artifacts}/desktop-${tab}.png` });
  }
  assert.equal(
    await page.locator('[role="tab"][tabindex="0"]').count(),
    1,
    'one tab (the selected one) is in the Tab order',
  );
  // → on the last wraps to the first (no ?tab= for Summary); ← from the first to the last; Home.
  await page.keyboard.press('ArrowRight');
  await page.getByTestId('vm-tabpanel-summary').waitFor();
  await waitFor('no ?tab for Summary', async () => !new URL(page.url()).searchParams.has('tab'), 5_000, 100);
  await page.keyboard.press('ArrowLeft');
  await page.getByTestId('vm-tabpanel-tasks').waitFor();
  await page.keyboard.press('Home');
  await page.getByTestId('vm-tabpanel-summary').waitFor();
  assert.equal(await focusedTestId(), 'vm-tab-summary');
  // A click opens a tab too.
  await page.getByTestId('vm-tab-snapshots').click();
  await page.getByTestId('vm-snapshots').waitFor();
  // The header's Console button opens the Console tab.
  await page.getByTestId('vm-console-open').click();
  await page.getByTestId('vm-tabpanel-console').getByTestId('vnc-screen').waitFor();
});

test('a deep link opens its tab, a reload keeps it; an unknown tab falls back to Summary', async () => {
  await page.goto(`${baseUrl()}/vms/${vmId}?tab=hardware`);
  await page.getByTestId('vm-hardware').getByTestId('vm-disk-row').first().waitFor({ timeout: 60_000 });
  await page.getByTestId('vm-autostart').waitFor();
  assert.equal(await selectedTab(), 'vm-tab-hardware');
  await page.reload();
  await page.getByTestId('vm-hardware').waitFor({ timeout: 60_000 });
  assert.equal(await selectedTab(), 'vm-tab-hardware');
  await page.goto(`${baseUrl()}/vms/${vmId}?tab=tasks`);
  await page.getByTestId('vm-activity-tasks').waitFor({ timeout: 60_000 });
  await page.goto(`${baseUrl()}/vms/${vmId}?tab=nonsense`);
  await page.getByTestId('performance').waitFor({ timeout: 60_000 });
  assert.equal(await selectedTab(), 'vm-tab-summary');
});

test('the header fits one row at 1440 px; "More" holds the rare actions and Escape closes it', async () => {
  await page.goto(`${baseUrl()}/vms/${vmId}`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  const ids = ['vm-name-heading', 'vm-start', 'vm-shutdown', 'vm-reboot', 'vm-console-open', 'vm-edit', 'vm-more'];
  const start = await page.getByTestId('vm-start').boundingBox();
  assert.ok(start);
  const centre = start.y + start.height / 2;
  for (const id of ids) {
    const box = await page.getByTestId(id).boundingBox();
    assert.ok(
      box && box.y < centre && box.y + box.height > centre,
      `${id} is on the header's one row: ${JSON.stringify(box)}`,
    );
  }
  for (const id of ['vm-forceoff', 'vm-delete', 'vm-reset', 'vm-clone', 'vm-make-template']) {
    assert.equal(await page.getByTestId(id).isVisible(), false, `${id} waits in "More"`);
  }
  // Keyboard: Enter opens "More", focus goes to its first usable item, ↓ moves, Escape closes.
  await page.getByTestId('vm-more').focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('vm-delete').waitFor();
  assert.equal(await page.getByTestId('vm-more').getAttribute('aria-expanded'), 'true');
  assert.equal(await focusedTestId(), 'vm-pause', 'the first usable item has focus');
  await page.keyboard.press('ArrowDown');
  assert.notEqual(await focusedTestId(), 'vm-pause', '↓ moves to the next item');
  await page.screenshot({ path: `${artifacts}/desktop-more.png` });
  await page.keyboard.press('Escape');
  await page.getByTestId('vm-delete').waitFor({ state: 'hidden' });
  assert.equal(await focusedTestId(), 'vm-more', 'focus goes back to "More"');
  // A click outside closes it too.
  await page.getByTestId('vm-more').click();
  await page.getByTestId('vm-forceoff').waitFor();
  await page.getByTestId('vm-details').click();
  await page.getByTestId('vm-forceoff').waitFor({ state: 'hidden' });
  // An item's dialog outlives the closed menu: Force off asks, Cancel keeps the VM running.
  await page.getByTestId('vm-more').click();
  await page.getByTestId('vm-forceoff').click();
  await page.getByTestId('confirm-ok').waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByTestId('confirm-ok').waitFor({ state: 'detached' });
});

test('the task shows on every tab; "Tasks & events" lists this VM’s tasks live, for its owner and admins', async () => {
  const { api } = await admin();
  await page.goto(`${baseUrl()}/vms/${vmId}?tab=tasks`);
  const rows = page.getByTestId('vm-task-row');
  await page.locator('[data-testid="vm-task-row"][data-kind="vm.create"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('vm-event-row').first().waitFor({ timeout: 60_000 });
  const before = await rows.count();

  // A task started elsewhere (the API) appears at the top without a reload.
  await waitTask(api, (await api.vm.pause.mutate({ vmId })).taskId);
  await page.locator('[data-testid="vm-task-row"][data-kind="vm.pause"]').waitFor({ timeout: 15_000 });
  assert.equal(await rows.first().getAttribute('data-kind'), 'vm.pause', 'newest first');
  assert.equal(await rows.count(), before + 1);
  await waitTask(api, (await api.vm.resume.mutate({ vmId })).taskId);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });

  // Started from the page on the Hardware tab: the task panel is there, and on every other tab.
  await page.getByTestId('vm-tab-hardware').click();
  await page.getByTestId('vm-reboot').click();
  await page.getByTestId('vm-task').waitFor({ timeout: 15_000 });
  for (const tab of TABS) {
    await page.getByTestId(`vm-tab-${tab}`).click();
    await page.getByTestId(`vm-tabpanel-${tab}`).waitFor();
    assert.equal(await page.getByTestId('vm-task').isVisible(), true, `the task panel on ${tab}`);
  }
  await page.locator('[data-testid="vm-task-row"][data-kind="vm.reboot"]').waitFor({ timeout: 15_000 });
  await page.screenshot({ path: `${artifacts}/desktop-tasks-live.png` });

  // Another user sees neither list (the VM is not theirs).
  const username = uniqueName('tabpeer').slice(0, 30);
  await api.user.create.mutate({ username, password: 'tab-peer-password', role: 'user' });
  const peer = await loginAs(username, 'tab-peer-password');
  assert.equal((await rejection(peer.api.task.listForVm.query({ vmId }))).code, 'NOT_FOUND');
  assert.equal((await rejection(peer.api.event.listForVm.query({ vmId }))).code, 'NOT_FOUND');
  assert.ok((await api.task.listForVm.query({ vmId })).every((t) => t.vmId === vmId));
});

test('phone width: every tab fits the screen, the actions and "More" stay on it', async () => {
  // The same page and session, made phone-sized (the last test: nothing after it needs 1440 px).
  const phone = page;
  await phone.setViewportSize({ width: 390, height: 844 });
  const onScreen = async (id: string) => {
    const box = await phone.getByTestId(id).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${id} is on screen: ${JSON.stringify(box)}`);
  };
  for (const tab of TABS) {
    await phone.goto(`${baseUrl()}/vms/${vmId}?tab=${tab}`);
    await phone.getByTestId(`vm-tabpanel-${tab}`).getByTestId(CONTENT[tab]).waitFor({ timeout: 60_000 });
    const widths = (await phone.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as number[];
    assert.ok(widths[0]! <= widths[1]!, `${tab}: the page is ${widths[0]} px wide in a ${widths[1]} px screen`);
    await phone.screenshot({ path: `${artifacts}/phone-${tab}.png` });
  }
  for (const id of ['vm-start', 'vm-shutdown', 'vm-edit', 'vm-more']) await onScreen(id);
  await phone.getByTestId('vm-more').click();
  for (const id of ['vm-forceoff', 'vm-delete', 'vm-clone']) await onScreen(id);
  await phone.screenshot({ path: `${artifacts}/phone-more.png` });
});
