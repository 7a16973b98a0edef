/**
 * The Users page in Chromium, as an admin would use it: manage a user by keyboard, disable them
 * (confirmed in place; their login is then refused), a too-short password is an error tied to
 * its input, delete waits for a new owner of their VMs. "Add host" mints no token until asked.
 * Screenshots at desktop and 390 px phone width are saved for a person to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, createTestVm, loginAs, rejection, uniqueName, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/users`;
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

const row = (name: string) => page.locator(`[data-testid="user-row"][data-name="${name}"]`);

test('manage a user from the keyboard: disable (confirmed), password error tied to input, delete needs a new owner', async () => {
  const { api } = await admin();
  const username = uniqueName('ui').toLowerCase();
  const password = 'first-password-1';
  const user = await api.user.create.mutate({ username, password, role: 'user' });
  const owner = await loginAs(username, password);
  const { vmId } = await createTestVm(owner.api, 'uivm', { start: false });
  after(async () => {
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
    if ((await api.user.list.query()).some((u) => u.id === user.id)) {
      await api.user.delete.mutate({ userId: user.id, newOwnerId: (await api.auth.me.query())?.id ?? '' });
    }
  });

  await page.goto(`${baseUrl()}/users`);
  await row(username).waitFor();
  await page.screenshot({ path: `${artifacts}/users-desktop.png` });

  // Keyboard: focus the Manage button and open the panel with Enter.
  const manage = row(username).getByTestId('user-manage');
  await manage.focus();
  await page.keyboard.press('Enter');
  assert.equal(await manage.getAttribute('aria-expanded'), 'true');
  const panel = page.getByTestId('user-actions');
  await panel.waitFor();

  // Delete is not offered until someone is chosen to receive the VM.
  assert.equal(await panel.getByTestId('user-delete').isDisabled(), true);
  assert.match(await panel.innerText(), /Give their 1 VM to/);

  // A too-short password: the server's message, announced, and tied to the input.
  await panel.getByTestId('user-new-password').fill('short');
  await page.keyboard.press('Enter');
  const err = panel.getByTestId('user-password-error');
  await err.waitFor();
  assert.match(await err.innerText(), /8 characters/);
  const input = panel.getByTestId('user-new-password');
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
  const describedText = await page.evaluate(
    (ids) => ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' '),
    describedBy.split(' '),
  );
  assert.match(describedText, /8 characters/, 'the error is the input’s description');
  await page.screenshot({ path: `${artifacts}/users-manage-desktop.png` });

  // Disable asks first (focus on Cancel), then shows its pending state and the result.
  await panel.getByTestId('user-disable').click();
  const focused = await page.evaluate(() => document.activeElement?.textContent);
  assert.equal(focused, 'Cancel', 'a stray Enter cancels');
  await panel.getByTestId('user-disable-confirm').click();
  await row(username).getByTestId('user-status').getByText('disabled').waitFor();
  const refused = await rejection(loginAs(username, password));
  assert.equal(refused.code, 'FORBIDDEN');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${artifacts}/users-phone-manage.png`, fullPage: true });
  // Every action stays reachable at phone width: inside the screen and not clipped by its panel.
  const panelBox = await panel.boundingBox();
  assert.ok(panelBox);
  for (const id of ['user-enable', 'user-role-toggle', 'user-revoke', 'user-password-submit', 'user-delete']) {
    const box = await panel.getByTestId(id).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= Math.min(390, panelBox.x + panelBox.width), `${id} fits`);
  }
  await manage.click();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${artifacts}/users-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
});

test('"Add host" lists tokens and creates one only on request', async () => {
  const { api } = await admin();
  const countBefore = (await api.host.enrollment.query()).tokens.length;
  await page.goto(`${baseUrl()}/hosts`);
  await page.getByTestId('host-add').click();
  await page.getByTestId('enroll-create').waitFor();
  await page.getByTestId('enroll-tokens-valid').waitFor();
  assert.equal((await api.host.enrollment.query()).tokens.length, countBefore, 'opening the dialog minted no token');
  await page.getByTestId('enroll-create').click();
  await page.getByTestId('enroll-token').waitFor();
  const token = await page.getByTestId('enroll-token').inputValue();
  const listed = await api.host.enrollment.query();
  assert.equal(listed.tokens.length, countBefore + 1);
  assert.ok(!JSON.stringify(listed).includes(token));
  await page.locator('[data-testid="enroll-token-row"][data-status="valid"]').first().waitFor();
  await page.screenshot({ path: `${artifacts}/hosts-add-desktop.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${artifacts}/hosts-add-phone.png` });
  await page.setViewportSize({ width: 1440, height: 900 });
  const validRows = await page.locator('[data-testid="enroll-token-row"][data-status="valid"]').count();
  await page
    .locator('[data-testid="enroll-token-row"][data-status="valid"]')
    .first()
    .getByTestId('enroll-token-revoke')
    .click();
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="enroll-token-row"][data-status="valid"]').length === n - 1,
    validRows,
  );
  const mine = (await api.host.enrollment.query()).tokens.find((t) => t.status === 'revoked');
  assert.ok(mine, 'the token revoked in the dialog is revoked on the server');
});
