/**
 * Alerts in Chromium: the admin's Alerts page lists the default rules, refuses a nonsense
 * threshold with the server's words, and a rule added through the form fires from real host
 * stats: the alerts appear live on the page and as a count in the navigation and top bar.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { lab } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/alerts`;
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

test('add a rule on the Alerts page: bad input refused, then it fires live with a nav badge', async () => {
  const { api } = await admin();
  await page.getByTestId('nav-alerts').click();
  await page.locator('[data-testid="alert-rule-row"][data-rule="default-host-offline"]').waitFor();

  const name = uniqueName('ui-cpu');
  await page.getByTestId('alert-rule-add').click();
  await page.getByTestId('alert-rule-name').fill(name);
  await page.getByTestId('alert-rule-threshold').fill('500');
  await page.getByTestId('alert-rule-for').fill('0');
  await page.getByTestId('alert-rule-save').click();
  const error = page.getByTestId('alert-rule-error');
  await error.waitFor();
  assert.match(await error.innerText(), /percentage from 0 to 100/);
  await page.screenshot({ path: `${artifacts}/alerts-bad-threshold.png` });

  // Every host at or above 0 % CPU: each lab host fires on its next stats sample (every 2 s here).
  await page.getByTestId('alert-rule-threshold').fill('0');
  await page.getByTestId('alert-rule-save').click();
  await page.getByTestId('alert-rule-form').waitFor({ state: 'detached' });
  const rule = (await api.alert.rules.query()).find((r) => r.name === name);
  assert.ok(rule, 'the rule was saved');
  after(() => api.alert.deleteRule.mutate({ ruleId: rule.id }));

  const firingRows = page.locator(`[data-testid="alerts-firing"] [data-testid="alert-row"][data-rule="${rule.id}"]`);
  await page.waitForFunction(
    ([selector, n]) => document.querySelectorAll(selector as string).length >= (n as number),
    [`[data-testid="alerts-firing"] [data-testid="alert-row"][data-rule="${rule.id}"]`, lab().hosts.length] as const,
    { timeout: 20_000 },
  );
  assert.equal(await firingRows.count(), lab().hosts.length);
  const badge = page.getByTestId('nav-alerts-badge');
  const firing = (await api.alert.list.query()).filter((a) => a.state === 'firing').length;
  assert.equal(Number((await badge.innerText()).match(/\d+/)?.[0]), firing, 'the badge counts firing alerts');
  await page.getByTestId('topbar-alerts').waitFor();
  await page.screenshot({ path: `${artifacts}/alerts-firing.png`, fullPage: true });

  // Disabling it from the page resolves its alerts live.
  await page
    .locator(`[data-testid="alert-rule-row"][data-rule="${rule.id}"] [data-testid="alert-rule-toggle"]`)
    .click();
  await page.waitForFunction(
    (selector) => document.querySelectorAll(selector).length === 0,
    `[data-testid="alerts-firing"] [data-testid="alert-row"][data-rule="${rule.id}"]`,
    { timeout: 10_000 },
  );
  const resolvedRows = page.locator(
    `[data-testid="alerts-resolved"] [data-testid="alert-row"][data-rule="${rule.id}"]`,
  );
  assert.equal(await resolvedRows.count(), lab().hosts.length);
  await page.screenshot({ path: `${artifacts}/alerts-resolved.png`, fullPage: true });
  // On a phone the tables stack as cards.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${artifacts}/alerts-phone.png`, fullPage: true });
});
