/**
 * In Chromium: the Console tab makes a view-only share link (shown once), a second browser
 * context with no login opens it and sees the VM's screen (the canvas noVNC draws), and revoking
 * the link (with its confirmation) ends that view at once; the Audit log page lists the view as a
 * console session. Screenshots under console-share/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, waitTask } from '../support/api.ts';
import { launchChromium, logInPage, PAGE_TIMEOUT_MS } from '../support/browser.ts';
import { serialText } from '../support/guest-serial.ts';
import { waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/console-share`;
let browser: Browser;
let page: Page;
let vmId = '';

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const { api } = await admin();
  const created = await createTestVm(api, 'shareui');
  vmId = created.vmId;
  await waitFor('the guest to be READY', async () => /READY/.test(serialText(created.vm.uuid)), 90_000, 500);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});

after(async () => {
  await browser?.close();
  if (!vmId) return;
  const { api } = await admin();
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
  await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
});

/** Whether the canvas shows something other than one flat colour (the guest's green banner rows). */
const canvasHasPicture = (p: Page) =>
  p
    .getByTestId('vnc-screen')
    .locator('canvas')
    .evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) return false;
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      const first = data.slice(0, 3).join();
      for (let i = 0; i < data.length; i += 4 * 97) {
        if (`${data[i]},${data[i + 1]},${data[i + 2]}` !== first) return true;
      }
      return false;
    });

test('a share link made in the Console tab shows the screen without login, until revoked', async () => {
  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}?tab=console`);
  await page.locator('[data-testid="vnc-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('console-share-expiry').selectOption({ label: '1 hour' });
  await page.getByTestId('console-share-create').click();
  const url = await page.getByTestId('console-share-url').inputValue();
  assert.match(url, /\/share\/console#[A-Za-z0-9_-]{43}$/);
  await page.getByTestId('console-share-row').first().waitFor();
  assert.equal(await page.getByTestId('console-share-row').first().getAttribute('data-status'), 'active');
  await page.screenshot({ path: `${artifacts}/owner-link-made.png` });
  await page.getByTestId('console-share').screenshot({ path: `${artifacts}/share-panel-made.png` });

  // A second context: no cookies, no session, as someone the link was sent to.
  const guest = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const viewer = await guest.newPage();
  viewer.setDefaultTimeout(PAGE_TIMEOUT_MS);
  await viewer.goto(url);
  await viewer.locator('[data-testid="shared-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  await waitFor(
    'the VM’s screen on the canvas',
    async () => ((await canvasHasPicture(viewer)) ? true : null),
    30_000,
    500,
  );
  assert.equal(viewer.url().includes('/login'), false, 'no login asked');
  await viewer.screenshot({ path: `${artifacts}/viewer-connected.png` });

  await page.reload();
  const row = page.getByTestId('console-share-row').first();
  await waitFor('last use shown', async () => ((await row.textContent())?.includes('ago') ? true : null), 10_000, 500);
  await row.getByTestId('console-share-revoke').click();
  await page.getByTestId('console-share-revoke-dialog').getByTestId('confirm-ok').click();
  await page.locator('[data-testid="console-share-row"][data-status="revoked"]').first().waitFor();
  await viewer.locator('[data-testid="shared-status"][data-state="ended"]').waitFor({ timeout: 10_000 });
  assert.match((await viewer.getByTestId('shared-status').textContent()) ?? '', /revoked/);
  await viewer.screenshot({ path: `${artifacts}/viewer-revoked.png` });
  await page.getByTestId('console-share').screenshot({ path: `${artifacts}/share-panel-revoked.png` });

  // Opening the revoked link again is refused.
  await viewer.reload();
  await viewer.locator('[data-testid="shared-status"][data-state="ended"]').waitFor({ timeout: 20_000 });
  await guest.close();
});

test('the shared view is in the Audit log page as a console session, with its duration', async () => {
  await page.goto(`${process.env.VIREO_TEST_URL}/audit`);
  await page.getByTestId('audit-filter-action').fill('console.');
  await page.getByTestId('audit-filter-object').fill(vmId);
  await page.getByTestId('audit-filter-apply').click();
  const shared = page.locator('[data-testid="audit-row"][data-action="console.session"]', { hasText: 'anonymous' });
  await shared.first().waitFor();
  await shared.first().click();
  const detail = await page.getByTestId('audit-detail').innerText();
  assert.match(
    detail,
    /View-only VNC console of VM .* through view-only share link .* closed after \d+ s \(share link revoked\)/,
  );
  await page.screenshot({ path: `${artifacts}/audit-console-sessions.png` });
});
