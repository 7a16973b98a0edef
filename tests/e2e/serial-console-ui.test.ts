/**
 * In Chromium: the VM page's "Serial" console choice shows the guest's serial port in xterm.js;
 * typing a command runs it in the guest's root shell and its answer shows in the terminal. A
 * reboot of the guest (the pty stays) keeps the console working; a lost connection (the host's
 * agent killed and restarted) reconnects by itself, keeping the terminal; a session taken over by
 * another does not, until Reconnect. The VNC toolbar has the Ctrl+Alt+Fn menu. Screenshots under
 * serial-console/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { admin, baseUrl, createTestVm, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { hostOfDomain, labHostsAllOnline, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);
const stackCtl = (...args: string[]) => exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 60_000 });

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/serial-console`;
let browser: Browser;
let page: Page;
let vmId = '';
let vmUuid = '';

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const { api } = await admin();
  const created = await createTestVm(api, 'serui');
  vmId = created.vmId;
  vmUuid = created.vm.uuid;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});

after(async () => {
  await browser?.close();
  if (!vmId) return;
  const { api } = await admin();
  await stackCtl('start-agents').catch(() => {});
  await waitFor('hosts online', async () => labHostsAllOnline(await api.host.list.query()), 30_000, 250).catch(
    () => {},
  );
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
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}?tab=console`);
  await page.getByTestId('console-choice-serial').click();
  await page.locator('[data-testid="serial-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  await typeUntil('echo $((6*7))', '42');
  await page.screenshot({ path: `${artifacts}/serial-42.png` });
  const text = await terminalText();
  assert.ok(text.includes('echo $((6*7))'), 'the shell echoed the command as typed');

  // A reboot inside the guest keeps QEMU and its pty: the same console shows the boot and the
  // shell answers again.
  await page.keyboard.type('reboot -f');
  await page.keyboard.press('Enter');
  // The guest counts its boots on its disk (`DISK vda … boots=<n>`): this is its second.
  await waitFor(
    'the guest to boot again',
    async () => /boots=2[\s\S]*READY/.test(await terminalText()),
    90_000,
    500,
  ).catch(async (err) => {
    await page.screenshot({ path: `${artifacts}/serial-reboot-failed.png` });
    throw err;
  });
  await typeUntil('echo $((7*8))', '56');
  assert.equal(await page.getByTestId('serial-status').getAttribute('data-state'), 'connected');
  await page.screenshot({ path: `${artifacts}/serial-after-reboot.png` });
});

const serialState = (state: string, timeout = 30_000) =>
  page.locator(`[data-testid="serial-status"][data-state="${state}"]`).waitFor({ timeout });

test('a lost connection reconnects by itself; a session taken over waits for Reconnect', async () => {
  const labHost = await hostOfDomain(vmUuid);
  assert.ok(labHost, 'the VM runs on a lab host');
  // The host's agent dies (as in a network loss between host and manager): the relay drops.
  await stackCtl('stop-agent', labHost.name, '--kill');
  await serialState('reconnecting');
  await stackCtl('start-agents');
  await serialState('connected', 60_000);
  assert.ok((await terminalText()).includes('56'), 'the terminal kept what it showed: no reload, no remount');
  await typeUntil('echo $((8*9))', '72');

  // Another session opens the serial console: this one is told, and stays closed.
  const { api, cookie } = await admin();
  const { ticket, path } = await api.vm.consoleTicket.mutate({ vmId, kind: 'serial' });
  const other = new WebSocket(`${baseUrl().replace(/^http/, 'ws')}${path}?ticket=${encodeURIComponent(ticket)}`, {
    headers: { cookie: cookie(), origin: baseUrl() },
  });
  await new Promise<void>((resolve, reject) => {
    other.once('open', () => resolve());
    other.once('error', reject);
  });
  await serialState('disconnected');
  assert.match(await page.getByTestId('serial-status').innerText(), /taken over by another console session/);
  await page.waitForTimeout(3000);
  assert.equal(await page.getByTestId('serial-status').getAttribute('data-state'), 'disconnected', 'no retry');
  await page.screenshot({ path: `${artifacts}/serial-taken-over.png` });
  await page.getByTestId('serial-reconnect').click();
  await serialState('connected');
  await typeUntil('echo $((9*9))', '81');
  other.close();

  // The VNC choice: its toolbar has the Ctrl+Alt+Fn menu, enabled once connected.
  await page.getByTestId('console-choice-vnc').click();
  await page.locator('[data-testid="vnc-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('console-ctrl-alt-fn').isEnabled(), true);
  await page.screenshot({ path: `${artifacts}/vnc-toolbar.png` });
});
