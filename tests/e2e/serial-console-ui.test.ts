/**
 * In Chromium: the VM page's "Serial" console choice shows the guest's serial port in xterm.js;
 * typing a command runs it in the guest's root shell and its answer shows in the terminal. A
 * reboot of the guest (the pty stays) keeps the console working. Screenshots under serial-console/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/serial-console`;
let browser: Browser;
let page: Page;
let vmId = '';

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const { api } = await admin();
  ({ vmId } = await createTestVm(api, 'serui'));
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

/** The terminal's text as xterm renders it (its DOM rows), one line per row. */
const terminalText = () =>
  page
    .getByTestId('serial-screen')
    .locator('.xterm-rows')
    .evaluate((rows) => Array.from(rows.children, (r) => (r.textContent ?? '').trimEnd()).join('\n'));

/** Types the command (again, while the guest is still booting) until a row reads exactly `answer`. */
async function typeUntil(command: string, answer: string): Promise<void> {
  await waitFor(
    `"${answer}" in the terminal after "${command}"`,
    async () => {
      await page.getByTestId('serial-screen').click();
      await page.keyboard.type(command);
      await page.keyboard.press('Enter');
      await page.waitForTimeout(1500);
      return (await terminalText()).split('\n').some((line) => line.trim() === answer);
    },
    60_000,
    0,
  );
}

test('the serial console runs a command in the guest shell and shows its answer', async () => {
  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}`);
  await page.getByTestId('console-choice-serial').click();
  await page.locator('[data-testid="serial-status"][data-state="connected"]').waitFor({ timeout: 30_000 });
  await typeUntil('echo $((6*7))', '42');
  await page.screenshot({ path: `${artifacts}/serial-42.png` });
  const text = await terminalText();
  assert.ok(text.includes('echo $((6*7))'), 'the shell echoed the command as typed');

  // A reboot inside the guest keeps QEMU and its pty: the same console shows the boot and the
  // shell answers again.
  // Clear the screen first (the guest's printf writes the escape codes), so READY is the new boot's.
  await page.keyboard.type("printf '\\033[2J\\033[H'");
  await page.keyboard.press('Enter');
  await waitFor('the screen to clear', async () => !/READY/.test(await terminalText()), 10_000, 200);
  await page.keyboard.type('reboot -f');
  await page.keyboard.press('Enter');
  await waitFor('the guest to boot again', async () => /VIREO GUEST .* READY/.test(await terminalText()), 90_000, 500);
  await typeUntil('echo $((7*8))', '56');
  assert.equal(await page.getByTestId('serial-status').getAttribute('data-state'), 'connected');
  await page.screenshot({ path: `${artifacts}/serial-after-reboot.png` });
});
