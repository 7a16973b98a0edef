/**
 * Two-factor authentication (issue 10) in Chromium, as a user and an admin would use it: the
 * user sets it up from their own page (the test reads the key shown, as a phone would from
 * the QR code, and computes the codes), logs out, and logs in with password + code; a wrong code
 * is refused with its message; a recovery code works once; the admin resets it (a lost phone)
 * and the password alone logs in again. Screenshots of the set-up and the code step are saved.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { totpNow } from '../support/totp.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/totp`;
let browser: Browser;
let adminPage: Page;
let page: Page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  adminPage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(adminPage);
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
});

after(async () => {
  await browser?.close();
});

async function logOut(): Promise<void> {
  await page.getByTestId('logout').click();
  await page.getByTestId('login-form').waitFor();
}

/** The password step; for an account with TOTP on, the code step must follow. */
async function passwordStep(username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl()}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

async function codeStep(code: string): Promise<void> {
  await page.getByTestId('login-code').fill(code);
  await page.getByTestId('login-code-submit').click();
}

test('set up, log in with a code, wrong code refused, recovery code once, admin reset', async () => {
  const { api } = await admin();
  const username = uniqueName('totp').toLowerCase();
  const password = 'totp-password-1';
  const user = await api.user.create.mutate({ username, password, role: 'user' });
  after(async () => {
    await api.user.delete.mutate({ userId: user.id });
  });

  // Set up from the user's own page (Account → Two-factor in the navigation).
  await logInPage(page, username, password);
  await page.getByTestId('nav-security').click();
  await page.waitForURL(/\/security$/);
  await page.locator('[data-testid="totp-settings"][data-state="off"]').waitFor();
  await page.getByTestId('totp-begin').click();
  await page.getByTestId('totp-qr').waitFor();
  const secret = (await page.getByTestId('totp-secret').inputValue()).replace(/\s/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/, '20 random bytes, base32');
  assert.ok(
    await page.getByTestId('totp-qr').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
    'the QR code renders (made by the server, no network)',
  );
  await page.screenshot({ path: `${artifacts}/totp-enrol.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${artifacts}/totp-enrol-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 860 });

  // A wrong code does not switch it on.
  const enrolStep = totpNow(secret);
  await page.getByTestId('totp-enable-code').fill(enrolStep === '000000' ? '111111' : '000000');
  await page.getByTestId('totp-enable-submit').click();
  await page.getByTestId('totp-enable-error').waitFor();
  assert.match(await page.getByTestId('totp-enable-error').innerText(), /does not match/);

  await page.getByTestId('totp-enable-code').fill(enrolStep);
  await page.getByTestId('totp-enable-submit').click();
  await page.getByTestId('totp-recovery-codes').waitFor();
  const recovery = await page.getByTestId('totp-recovery-code').allInnerTexts();
  assert.equal(recovery.length, 10);
  assert.equal(new Set(recovery).size, 10);
  await page.screenshot({ path: `${artifacts}/totp-recovery-codes.png` });
  await page.getByTestId('totp-recovery-done').click();
  await page.locator('[data-testid="totp-settings"][data-state="on"]').waitFor();
  assert.match(await page.getByTestId('totp-status').innerText(), /10 recovery codes left/);
  await page.screenshot({ path: `${artifacts}/totp-on.png` });
  await logOut();

  // The password alone is not a session now: the code step follows.
  await passwordStep(username, password);
  await page.getByTestId('login-code-form').waitFor();
  assert.equal((await page.context().cookies()).filter((c) => c.name.endsWith('vireo_session')).length, 0);
  await page.screenshot({ path: `${artifacts}/totp-code-step.png` });

  // A wrong code: refused with a message that says why.
  const wrong = totpNow(secret, -5);
  await codeStep(wrong);
  const error = page.getByTestId('form-error');
  await error.waitFor();
  assert.match(await error.innerText(), /That code is not valid or has expired; codes change every 30 s/);
  await page.screenshot({ path: `${artifacts}/totp-code-wrong.png` });
  // The code used at set-up is spent: the next step's code (within the ±1 drift window) logs in.
  await codeStep(totpNow(secret, 1));
  await page.getByTestId('nav-vms').waitFor();
  await logOut();

  // A recovery code works once instead of a code (typed in capitals, without the dash).
  await passwordStep(username, password);
  await page.getByTestId('login-code-form').waitFor();
  await codeStep((recovery[0] as string).replace('-', '').toUpperCase());
  await page.getByTestId('nav-vms').waitFor();
  await logOut();
  await passwordStep(username, password);
  await page.getByTestId('login-code-form').waitFor();
  await codeStep(recovery[0] as string);
  await error.waitFor();
  assert.match(await error.innerText(), /recovery code is not valid or was already used/);

  // Lost phone: the admin resets it from the Users page; it is recorded as an event.
  await adminPage.goto(`${baseUrl()}/users`);
  const row = adminPage.locator(`[data-testid="user-row"][data-name="${username}"]`);
  await row.getByTestId('user-manage').click();
  const panel = adminPage.getByTestId('user-actions');
  assert.match(await panel.getByTestId('user-totp-status').innerText(), /^On/);
  await panel.getByTestId('user-totp-reset').click();
  await adminPage.screenshot({ path: `${artifacts}/totp-admin-reset-confirm.png` });
  await panel.getByTestId('user-totp-reset-confirm').click();
  await panel.locator('[data-testid="user-totp-status"]', { hasText: /^Off/ }).waitFor();
  const events = await api.event.list.query();
  assert.ok(
    events.some((e) => e.message === `admin reset the two-factor authentication of ${username}.`),
    'the reset is an event',
  );

  // The password alone logs in again.
  await page.getByTestId('login-code-back').click();
  await passwordStep(username, password);
  await page.getByTestId('nav-vms').waitFor();
  await page.goto(`${baseUrl()}/security`);
  await page.locator('[data-testid="totp-settings"][data-state="off"]').waitFor();
});
