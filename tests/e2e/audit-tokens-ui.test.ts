/**
 * API tokens and the audit log in Chromium: create a token (shown once, with the warning), use
 * it from a script, revoke it after a confirmation; the Audit page lists entries, filters them
 * by action and result, and shows a row's details. Screenshots for a person to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/audit-tokens`;
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

const tokenStatus = (token: string) =>
  fetch(`${baseUrl()}/api/trpc/vm.list`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

test('create an API token (shown once), use it, revoke it with a confirmation', async () => {
  const name = uniqueName('ui-token');
  await page.goto(`${baseUrl()}/account`);
  await page.getByTestId('nav-account').waitFor();
  await page.getByTestId('api-token-new').click();
  const dialog = page.getByTestId('api-token-dialog');
  await dialog.waitFor();
  // The name field has focus: type, pick write scope and 90 days, Enter submits.
  await page.keyboard.type(name);
  await dialog.getByTestId('api-token-scope-write').check();
  await dialog.getByTestId('api-token-expiry').selectOption('90');
  await page.screenshot({ path: `${artifacts}/token-create-dialog.png` });
  await dialog.getByTestId('api-token-name').press('Enter');

  const created = page.getByTestId('api-token-created');
  await created.waitFor();
  assert.match(await created.innerText(), /you will not see it again/i);
  const token = await page.getByTestId('api-token-value').inputValue();
  assert.match(token, /^vireo_pat_/);
  await page.screenshot({ path: `${artifacts}/token-created.png` });
  assert.equal(await tokenStatus(token), 200, 'the token works from a script');
  await page.getByTestId('api-token-done').click();

  const row = page.locator(`[data-testid="api-token-row"][data-name="${name}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-status'), 'active');
  const rowText = await row.innerText();
  assert.ok(rowText.includes(token.slice(0, 14)), 'the prefix is listed');
  assert.ok(!rowText.includes(token.slice(14)), 'the token itself is not');
  assert.match(rowText, /write/);
  await page.screenshot({ path: `${artifacts}/tokens-list.png` });

  // Revoke: asks first (Cancel keeps it), then the token stops working.
  await row.getByTestId('api-token-revoke').click();
  const confirm = page.getByTestId('api-token-revoke-dialog');
  await confirm.waitFor();
  await page.screenshot({ path: `${artifacts}/token-revoke-confirm.png` });
  await page.keyboard.press('Escape');
  await confirm.waitFor({ state: 'detached' });
  assert.equal(await tokenStatus(token), 200, 'cancelled: still valid');
  await row.getByTestId('api-token-revoke').click();
  await confirm.getByTestId('confirm-ok').click();
  await page.locator(`[data-testid="api-token-row"][data-name="${name}"][data-status="revoked"]`).waitFor();
  assert.equal(await tokenStatus(token), 401, 'revoked: refused');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${artifacts}/tokens-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
});

test('the Audit page lists entries, filters by action and result, and opens a row', async () => {
  // A failure to find: a VM that does not exist.
  const { api } = await admin();
  await api.vm.start.mutate({ vmId: 'no-such-vm-ui' }).catch(() => {});

  await page.goto(`${baseUrl()}/audit`);
  await page.getByTestId('nav-audit').waitFor();
  await page.locator('[data-testid="audit-row"]').first().waitFor();
  const actions = await page
    .locator('[data-testid="audit-row"]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
  assert.ok(actions.includes('apiToken.revoke'), `the revoke from the first test is listed: ${actions.join(' ')}`);
  assert.ok(actions.includes('auth.login'));
  await page.screenshot({ path: `${artifacts}/audit-desktop.png` });

  // Filter: VM actions that failed (typed, then Enter applies).
  await page.getByTestId('audit-filter-action').fill('vm.');
  await page.getByTestId('audit-filter-result').selectOption('failed');
  await page.getByTestId('audit-filter-action').press('Enter');
  const failedStart = page.locator('[data-testid="audit-row"][data-action="vm.start"][data-result="failed"]');
  await failedStart.first().waitFor();
  await page.waitForFunction(() =>
    Array.from(document.querySelectorAll('[data-testid="audit-row"]')).every(
      (r) => r.getAttribute('data-action')?.startsWith('vm.') && r.getAttribute('data-result') === 'failed',
    ),
  );

  // Keyboard: focus the row, Enter opens its details (message and recorded input).
  await failedStart.first().focus();
  await page.keyboard.press('Enter');
  const detail = page.getByTestId('audit-detail');
  await detail.waitFor();
  assert.match(await detail.innerText(), /no-such-vm-ui/);
  await page.screenshot({ path: `${artifacts}/audit-filtered.png` });

  // The export link carries the filter.
  const href = (await page.getByTestId('audit-export').getAttribute('href')) ?? '';
  assert.match(href, /actionPrefix=vm\./);
  assert.match(href, /result=failed/);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${artifacts}/audit-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
});
