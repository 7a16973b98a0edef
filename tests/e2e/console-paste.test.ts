/**
 * In Chromium, on a real lab guest: "Paste text" in the VNC console types a command into a shell
 * on the guest's screen, and Ctrl+Alt+F2/F1 from the toolbar switch its virtual terminal.
 *
 * The lab guest has no shell on its screen (its VGA shows a banner; the root shell is on ttyS0),
 * so the test starts one on tty1 from the serial shell (`setsid sh` with tty1 as its terminal):
 * keys typed in the VNC console then reach it through QEMU's PS/2 keyboard, the kernel's keymap
 * and tty1, as on any text console. What it ran is read back over the serial shell. busybox has
 * no `fgconsole`: the active terminal is read from /sys/class/tty/tty0/active instead.
 *
 * The layout proof: QEMU's extended key events carry scancodes, so the guest's keymap decides.
 * The guest's keymap is US; German "zy" is pressed on the keys where US has Y and Z, so a US
 * guest types "yz". After the test swaps Y and Z in the guest's keymap (busybox dumpkmap/loadkmap,
 * the QWERTZ letters), the same German paste types "zy". Screenshots under console-paste/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { guestRun, serialText, typeLine } from '../support/guest-serial.ts';
import { hostOfDomain, type LabHost, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/console-paste`;
let browser: Browser;
let page: Page;
let vmId = '';
let vmUuid = '';
let host: LabHost;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const { api } = await admin();
  const created = await createTestVm(api, 'paste');
  vmId = created.vmId;
  vmUuid = created.vm.uuid;
  const found = await hostOfDomain(vmUuid);
  assert.ok(found, 'the VM runs on a lab host');
  host = found;
  await waitFor('the guest to be READY', async () => /READY/.test(serialText(vmUuid)), 90_000, 500);
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

const activeVt = () => guestRun(host, vmUuid, 'cat /sys/class/tty/tty0/active').then((s) => s.trim());

/** Opens "Paste text", chooses the layout, types `text` into the VM and waits until all keys are sent. */
async function paste(text: string, layout: string): Promise<void> {
  await page.getByTestId('console-paste-open').click();
  await page.getByTestId('console-paste-layout').selectOption(layout);
  await page.getByTestId('console-paste-text').fill(text);
  await page.getByTestId('console-paste-send').click();
  await page.getByTestId('console-paste-dialog').waitFor({ state: 'detached' });
  await page.locator('[data-testid="console-paste-open"]:text-is("Paste text")').waitFor({ timeout: 60_000 });
}

/** What the guest's shell on tty1 wrote into `file`, once it is there. */
const fileInGuest = (file: string) =>
  waitFor(
    `${file} in the guest`,
    async () => (await guestRun(host, vmUuid, `cat ${file} 2>/dev/null`)).trim() || null,
    30_000,
    500,
  );

test('a pasted command runs in a shell on the guest screen; Ctrl+Alt+F2/F1 switch terminals', async () => {
  // A shell on tty1, the terminal the guest's screen shows; tty2 opened once so it exists to switch to.
  await typeLine(host, vmUuid, "setsid sh -c 'exec sh </dev/tty1 >/dev/tty1 2>&1' & : >/dev/tty2");
  assert.equal(await activeVt(), 'tty1');

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}?tab=console`);
  await page.locator('[data-testid="vnc-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  await page.screenshot({ path: `${artifacts}/vm-page.png` });
  const toolbar = ['console-ctrl-alt-del', 'console-ctrl-alt-fn', 'console-paste-open', 'console-open-window'];
  const middles = await Promise.all(
    toolbar.map(async (id) => {
      const box = await page.getByTestId(id).boundingBox();
      return box ? box.y + box.height / 2 : -1;
    }),
  );
  assert.ok(Math.max(...middles) - Math.min(...middles) < 4, `one toolbar row at 1440 px: ${middles}`);

  // Refused before anything is sent: the layout cannot type them, and the dialog names them.
  await page.getByTestId('console-paste-open').click();
  await page.getByTestId('console-paste-layout').selectOption('en-us');
  await page.getByTestId('console-paste-text').fill('echo grüße > /tmp/refused');
  await page.getByTestId('console-paste-send').click();
  const refusal = await page.getByTestId('console-paste-error').innerText();
  assert.match(refusal, /English \(US\) layout cannot type “ü” \(U\+00FC\), “ß” \(U\+00DF\)/);
  await page.screenshot({ path: `${artifacts}/paste-refused.png` });
  await page.keyboard.press('Escape');

  await paste('echo vireo-$((6*7)) > /tmp/pasted\n', 'en-us');
  assert.equal(await fileInGuest('/tmp/pasted'), 'vireo-42');
  await page.getByTestId('vnc-screen').screenshot({ path: `${artifacts}/pasted-on-screen.png` });

  // The layout is remembered in this browser.
  await page.getByTestId('console-paste-open').click();
  assert.equal(await page.getByTestId('console-paste-layout').inputValue(), 'en-us');
  await page.keyboard.press('Escape');

  await page.getByTestId('console-ctrl-alt-fn').selectOption('2');
  await waitFor('tty2 in front', async () => ((await activeVt()) === 'tty2' ? true : null), 15_000, 500);
  await page.getByTestId('console-ctrl-alt-fn').selectOption('1');
  await waitFor('tty1 in front again', async () => ((await activeVt()) === 'tty1' ? true : null), 15_000, 500);
});

test('the chosen layout decides the keys: German "zy" on a US keymap, then on QWERTZ letters', async () => {
  // German keys for "zy" are US Y and Z; ">" is Shift and the extra ISO key, which the US keymap
  // also maps to "<"/">". (No "/" or ";" here: German has them elsewhere, and so the shell's
  // working directory, /, takes the file.)
  await paste('echo zy > zy\n', 'de');
  assert.equal(await fileInGuest('/yz'), 'yz', 'a US guest reads the keys where US has Y and Z');

  // Y and Z swapped in every table of the guest's keymap: its letters are now QWERTZ.
  const swap = [
    'dumpkmap >/tmp/k',
    'n=$(od -An -v -tu1 -j7 -N256 /tmp/k | tr -s " " "\\n" | grep -c "^1$")',
    'i=0',
    'while [ $i -lt $n ]; do o=$((263+i*256))',
    'dd if=/tmp/k of=/tmp/ky bs=1 skip=$((o+42)) count=2 2>/dev/null',
    'dd if=/tmp/k of=/tmp/kz bs=1 skip=$((o+88)) count=2 2>/dev/null',
    'dd if=/tmp/kz of=/tmp/k bs=1 seek=$((o+42)) conv=notrunc 2>/dev/null',
    'dd if=/tmp/ky of=/tmp/k bs=1 seek=$((o+88)) conv=notrunc 2>/dev/null',
    'i=$((i+1)); done',
    'loadkmap </tmp/k && echo swapped $n',
  ].join('; ');
  // Braces, not a subshell: guestRun wraps the command in $( ), and "$((" would be arithmetic.
  assert.match(await guestRun(host, vmUuid, `{ ${swap}; }`), /^swapped \d+$/);

  await paste('echo zy > zy2\n', 'de');
  assert.equal(await fileInGuest('/zy2'), 'zy', 'the QWERTZ guest types what was pasted');
});

test('the serial console pops out into its own window; the toolbar holds at 390 px', async () => {
  await page.getByTestId('console-choice-serial').click();
  await page.locator('[data-testid="serial-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByTestId('serial-open-window').click()]);
  await popup.waitForURL(/\/vms\/[^/]+\/serial$/);
  await popup.locator('[data-testid="serial-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  await waitFor(
    '"49" in the pop-out terminal',
    async () => {
      await popup.getByTestId('serial-screen').click();
      await popup.keyboard.type('echo $((7*7))');
      await popup.keyboard.press('Enter');
      await popup.waitForTimeout(1500);
      const rows = await popup
        .getByTestId('serial-screen')
        .locator('.xterm-rows')
        .evaluate((r) => Array.from(r.children, (c) => (c.textContent ?? '').trim()));
      return rows.includes('49') ? true : null;
    },
    60_000,
    0,
  );
  assert.match(await popup.title(), / · Serial console · Vireo$/);
  await popup.screenshot({ path: `${artifacts}/serial-window.png` });
  await popup.close();

  // A phone-width VM page: the VNC toolbar wraps instead of running off the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByTestId('console-choice-vnc').click();
  await page.locator('[data-testid="vnc-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  const fn = page.getByTestId('console-ctrl-alt-fn');
  assert.match((await fn.getAttribute('aria-label')) ?? '', /Ctrl\+Alt\+F1…F12/);
  assert.equal(await fn.locator('option:checked').innerText(), 'Ctrl+Alt+Fn…', 'its visible label');
  for (const id of ['console-ctrl-alt-fn', 'console-paste-open', 'console-ctrl-alt-del']) {
    const box = await page.getByTestId(id).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${id} inside 390 px: ${JSON.stringify(box)}`);
  }
  await page.getByTestId('console-ctrl-alt-fn').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/toolbar-390.png` });
  await page.getByTestId('console-paste-open').click();
  await page.screenshot({ path: `${artifacts}/paste-dialog-390.png` });
  const dialog = await page.getByTestId('console-paste-dialog').boundingBox();
  assert.ok(dialog && dialog.x >= 0 && dialog.x + dialog.width <= 390, `the dialog fits: ${JSON.stringify(dialog)}`);
});
