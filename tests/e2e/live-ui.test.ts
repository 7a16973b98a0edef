/**
 * The UI keeps the user's trust, in Chromium: five tabs of the VM list all stay live (one live
 * connection per tab; browsers allow six per origin), an action clicked while the live connection
 * is down fails at once and never runs later, actions show what they are doing, and the pages work
 * at phone width. Screenshots (phone and desktop) are saved under $VIREO_TEST_ARTIFACTS/live-ui.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import {
  admin,
  adminPassword,
  baseUrl,
  createTestVm,
  listAllVms,
  type Api,
  uniqueName,
  waitTask,
} from '../support/api.ts';
import { chromiumArgs, chromiumExecutable } from '../support/chromium.mjs';
import { domState, hostOfDomain, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/live-ui`;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };

let browser: Browser;
let context: BrowserContext;
let api: Api;
/** Running after the first test. */
let vmA: { id: string; name: string; uuid: string };
/** Shut off; used by the offline test, then started, then deleted. */
let vmB: { id: string; name: string; uuid: string };

async function logIn(ctx: BrowserContext, username: string, password: string): Promise<void> {
  const page = await ctx.newPage();
  await page.goto(`${baseUrl()}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').waitFor({ timeout: 60_000 });
  await page.close();
}

const liveUp = (page: Page) =>
  page.locator('[data-testid="live-status"][data-state="pending"]').waitFor({ timeout: 60_000 });

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ api } = await admin());
  const [a, b] = await Promise.all([
    createTestVm(api, 'live-a', { start: false }),
    createTestVm(api, 'live-b', { start: false }),
  ]);
  vmA = { id: a.vmId, name: a.vm.name, uuid: a.vm.uuid };
  vmB = { id: b.vmId, name: b.vm.name, uuid: b.vm.uuid };
  browser = await chromium.launch({ executablePath: chromiumExecutable, args: chromiumArgs });
  // One context: its tabs share the browser's per-origin connection limit, as real tabs do.
  context = await browser.newContext({ viewport: DESKTOP });
  await logIn(context, 'admin', adminPassword());
});

after(async () => {
  await browser?.close();
  for (const vm of [vmA, vmB]) {
    if (!vm) continue;
    const state = (await listAllVms(api)).find((v) => v.id === vm.id)?.state;
    if (!state) continue;
    if (state === 'running') await waitTask(api, (await api.vm.forceOff.mutate({ vmId: vm.id })).taskId);
    await waitTask(api, (await api.vm.delete.mutate({ vmId: vm.id })).taskId);
  }
});

test('five tabs of the VM list all follow a state change, each on one live connection', async () => {
  const pages: Page[] = [];
  const streams = new Map<Page, number>();
  for (let i = 0; i < 5; i++) {
    const page = await context.newPage();
    streams.set(page, 0);
    page.on('request', (req) => {
      if (req.resourceType() === 'eventsource') streams.set(page, (streams.get(page) ?? 0) + 1);
    });
    await page.goto(`${baseUrl()}/vms`);
    await page.getByTestId('vm-filter').fill(vmA.name);
    await page
      .locator(`[data-testid="vm-row"][data-name="${vmA.name}"][data-state="shutoff"]`)
      .waitFor({ timeout: 60_000 });
    pages.push(page);
  }
  for (const page of pages) await liveUp(page);

  const { taskId } = await api.vm.start.mutate({ vmId: vmA.id });
  assert.equal((await waitTask(api, taskId)).state, 'succeeded');
  const started = Date.now();
  await Promise.all(
    pages.map((page) =>
      page.locator(`[data-testid="vm-row"][data-name="${vmA.name}"][data-state="running"]`).waitFor({ timeout: 5_000 }),
    ),
  );
  const lag = Date.now() - started;
  assert.ok(lag < 5_000, `all five tabs showed "running" within ${lag} ms`);
  for (const [i, page] of pages.entries()) {
    assert.equal(streams.get(page), 1, `tab ${i + 1} opened ${streams.get(page)} live connections; one is enough`);
  }
  const [first] = pages;
  assert.ok(first);
  // Plurals by count: "1 VM", "2 VMs".
  const count = await first.getByTestId('vm-count').innerText();
  const n = Number(count.split(' ')[0]);
  assert.equal(count.split(' ')[1], n === 1 ? 'VM' : 'VMs', count);
  // Rows are reachable with Tab: from the filter, past the state, host, tag and owner filters,
  // saved searches, New VM, the check-all box and the sortable column headers, Tab reaches the
  // row's link.
  await first.getByTestId('vm-filter').focus();
  let reached = false;
  for (let i = 0; i < 16 && !reached; i++) {
    await first.keyboard.press('Tab');
    reached = (await first.evaluate('document.activeElement?.dataset?.testid')) === 'vm-row-link';
  }
  assert.ok(reached, 'Tab reaches the VM row');
  for (const page of pages) await page.close();
});

test('an action clicked while the live connection is down fails at once and never runs later', async () => {
  const page = await context.newPage();
  const startTasks = async () =>
    (await api.task.list.query()).filter((t) => t.vmId === vmB.id && t.kind === 'vm.start');
  const assertNotStarted = async (when: string) => {
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal((await api.vm.byId.query({ vmId: vmB.id })).state, 'shutoff', `${when}: Vireo says shutoff`);
    assert.deepEqual(await startTasks(), [], `${when}: no start task was created`);
    const host = await hostOfDomain(vmB.uuid);
    assert.ok(host, 'the domain exists');
    assert.equal(await domState(host, vmB.uuid), 'shut off', `${when}: libvirt says shut off`);
  };

  // 1. The live stream cannot connect (the HTTP API still answers).
  await page.route('**/api/trpc/live.onChange**', (route) => route.abort());
  await page.goto(`${baseUrl()}/vms/${vmB.id}`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('live-banner').waitFor({ timeout: 10_000 });
  await page.screenshot({ path: `${artifacts}/desktop-offline-banner.png` });
  await page.getByTestId('vm-start').click();
  await page.getByTestId('action-not-sent').waitFor({ timeout: 1_000 });
  assert.match(await page.getByTestId('action-not-sent').innerText(), /not sent/i);
  await page.screenshot({ path: `${artifacts}/desktop-offline-refused.png` });
  await page.unroute('**/api/trpc/live.onChange**');
  await liveUp(page);
  await page.getByTestId('live-banner').waitFor({ state: 'detached', timeout: 5_000 });
  await assertNotStarted('live stream blocked');

  // 2. The browser is offline altogether, then comes back.
  await context.setOffline(true);
  await page.getByTestId('live-banner').waitFor({ timeout: 10_000 });
  await page.getByTestId('vm-start').click();
  await page.getByTestId('action-not-sent').waitFor({ timeout: 1_000 });
  await context.setOffline(false);
  await liveUp(page);
  await assertNotStarted('browser offline');

  // 3. Online again: the click shows "Starting…" at once (seen by an observer: it may be brief).
  await page.evaluate(`(() => {
    window.__sawPending = false;
    new MutationObserver(() => {
      const b = document.querySelector('[data-testid="vm-start"][data-pending]');
      if (b && b.textContent.includes('Starting')) window.__sawPending = true;
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  })()`);
  await page.getByTestId('vm-start').click();
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.evaluate('window.__sawPending'), true, 'the Start button said "Starting…"');
  assert.equal((await startTasks()).length, 1);
  assert.match(await page.title(), new RegExp(vmB.name), 'the page title names the VM');
  await page.close();
});

test('Ctrl+Alt+Del asks first, keeps focus in its dialog, and is recorded as an event', async () => {
  const page = await context.newPage();
  await page.goto(`${baseUrl()}/vms/${vmB.id}?tab=console`);
  await page.locator('[data-testid="vnc-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  const cad = page.getByTestId('console-ctrl-alt-del');
  await cad.click();
  await page.getByTestId('ctrl-alt-del-dialog').waitFor();
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(`!!document.activeElement?.closest('[role="dialog"]')`),
      true,
      'focus stays in the dialog',
    );
  }
  await page.keyboard.press('Escape');
  await page.getByTestId('ctrl-alt-del-dialog').waitFor({ state: 'detached' });
  await waitFor(
    'focus back on the button',
    async () => (await page.evaluate(`document.activeElement?.dataset?.testid`)) === 'console-ctrl-alt-del',
    5_000,
  );
  assert.equal(
    (await api.event.list.query()).filter((e) => e.kind === 'vm.ctrlAltDel' && e.vmId === vmB.id).length,
    0,
    'cancel sends nothing',
  );

  await cad.click();
  await page.getByTestId('confirm-ok').click();
  const event = await waitFor('the Ctrl+Alt+Del event', async () =>
    (await api.event.list.query()).find((e) => e.kind === 'vm.ctrlAltDel' && e.vmId === vmB.id),
  );
  assert.match(event.message, /admin/);
  await page.close();
});

test('another user’s VM reads "not found or not yours"; unknown paths get a styled 404', async () => {
  const username = uniqueName('peer').slice(0, 30);
  const password = 'peer-password-1';
  await api.user.create.mutate({ username, password, role: 'user' });
  const peer = await browser.newContext({ viewport: DESKTOP });
  await logIn(peer, username, password);
  const page = await peer.newPage();
  await page.goto(`${baseUrl()}/vms/${vmA.id}`);
  await page.getByTestId('vm-not-found').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('vm-not-found').innerText(), /not yours/);
  assert.doesNotMatch(await page.getByTestId('vm-not-found').innerText(), /no longer exists/);
  const res = await page.goto(`${baseUrl()}/no-such-page`);
  assert.equal(res?.status(), 404);
  await page.getByTestId('not-found').waitFor();
  await page.screenshot({ path: `${artifacts}/desktop-404.png` });
  await peer.close();
});

test('task history keeps a deleted VM’s name and who ran each task', async () => {
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId: vmB.id })).taskId);
  await waitTask(api, (await api.vm.delete.mutate({ vmId: vmB.id })).taskId);
  const page = await context.newPage();
  await page.goto(`${baseUrl()}/tasks`);
  const row = page.locator('[data-testid="task-row"][data-kind="vm.delete"]', { hasText: vmB.name });
  await row.first().waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="event-row"]').first().waitFor({ timeout: 60_000 });
  await liveUp(page);
  assert.match(await row.first().getByTestId('task-vm').innerText(), new RegExp(`${vmB.name}.*deleted`));
  assert.equal(await row.first().getByTestId('task-owner').innerText(), 'admin');
  assert.match(await row.first().innerText(), /Deleted with 1 disk\b(?!\(s\))/, 'plural by count, not "disk(s)"');
  await page.screenshot({ path: `${artifacts}/desktop-tasks.png` });
  await page.close();
});

test('phone width: the menu collapses, lists scroll inside, actions stay on screen', async () => {
  const phone = await browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  await logIn(phone, 'admin', adminPassword());
  const page = await phone.newPage();
  const noPageOverflow = async (what: string) => {
    const widths = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as number[];
    assert.ok(widths[0]! <= widths[1]!, `${what}: the page is ${widths[0]} px wide in a ${widths[1]} px screen`);
  };

  await page.goto(`${baseUrl()}/vms`);
  await page.locator('[data-testid="vm-row"]').first().waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('nav').isVisible(), false, 'the menu is folded away');
  await noPageOverflow('VM list');
  await page.screenshot({ path: `${artifacts}/phone-vm-list.png` });
  await page.getByTestId('nav-toggle').click();
  await page.getByTestId('nav').waitFor();
  await page.screenshot({ path: `${artifacts}/phone-menu.png` });
  await page.getByTestId('nav-users').click();
  await page.waitForURL(/\/users$/);
  await page.locator('[data-testid="user-row"]').first().waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('nav').isVisible(), false, 'navigating closes the menu');
  await noPageOverflow('users');
  await page.screenshot({ path: `${artifacts}/phone-users.png` });

  await page.goto(`${baseUrl()}/vms/${vmA.id}?tab=console`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="vnc-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  await noPageOverflow('VM page');
  const onScreen = async (id: string) => {
    const box = await page.getByTestId(id).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `${id} is on screen: ${JSON.stringify(box)}`);
  };
  for (const id of ['vm-start', 'vm-shutdown', 'vm-more']) await onScreen(id);
  await page.screenshot({ path: `${artifacts}/phone-vm-page.png` });
  // The rarer actions drop down from "More", and the drop-down stays on screen too.
  await page.getByTestId('vm-more').click();
  for (const id of ['vm-forceoff', 'vm-delete']) await onScreen(id);
  await page.screenshot({ path: `${artifacts}/phone-vm-more.png` });
  await page.goto(`${baseUrl()}/tasks`);
  await page.locator('[data-testid="task-row"]').first().waitFor({ timeout: 60_000 });
  await noPageOverflow('tasks');
  // Tasks stack as cards: the VM and who ran it are on screen, not off to the right.
  for (const id of ['task-vm', 'task-owner']) {
    const box = await page.getByTestId(id).first().boundingBox();
    assert.ok(box && box.x + box.width <= PHONE.width, `${id} is on screen: ${JSON.stringify(box)}`);
  }
  await page.screenshot({ path: `${artifacts}/phone-tasks.png` });

  // The inventory tree and the affinity groups fit too; the migrate dialog keeps its buttons on screen.
  await page.goto(`${baseUrl()}/inventory`);
  await page.locator('[data-testid="inventory-node"]').first().waitFor({ timeout: 60_000 });
  await noPageOverflow('inventory');
  await page.screenshot({ path: `${artifacts}/phone-inventory.png` });
  await page.goto(`${baseUrl()}/affinity`);
  await page.getByTestId('affinity-new').waitFor({ timeout: 60_000 });
  await noPageOverflow('affinity groups');
  await page.screenshot({ path: `${artifacts}/phone-affinity.png` });
  await page.goto(`${baseUrl()}/vms/${vmA.id}`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('vm-more').click();
  await page.getByTestId('vm-migrate').click();
  await page.locator('[data-testid="migrate-target"]').first().waitFor({ timeout: 60_000 });
  await noPageOverflow('migrate dialog');
  await onScreen('migrate-submit');
  await page.screenshot({ path: `${artifacts}/phone-migrate.png` });
  await phone.close();

  // Desktop views of the changed pages, for a look.
  const desk = await context.newPage();
  await desk.goto(`${baseUrl()}/vms`);
  await desk.locator('[data-testid="vm-row"]').first().waitFor({ timeout: 60_000 });
  await liveUp(desk);
  await desk.screenshot({ path: `${artifacts}/desktop-vm-list.png` });
  await desk.goto(`${baseUrl()}/vms/${vmA.id}?tab=console`);
  await desk.locator('[data-testid="vnc-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  await desk.screenshot({ path: `${artifacts}/desktop-vm-page.png` });
  await desk.close();
});
