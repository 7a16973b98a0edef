/**
 * In Chromium, as a person would: log in, create a VM from the form, start it, open its console
 * and read the guest's screen from the noVNC canvas (the guest draws green and magenta bars under
 * its banner; we count pixels of those VGA colours), then force it off and delete it, both
 * confirmed. Screenshots are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { admin, adminPassword, baseUrl, listAllVms, uniqueName } from '../support/api.ts';
import { clickMoreAction, openVmTab } from '../support/browser.ts';
import { chromiumArgs, chromiumExecutable } from '../support/chromium.mjs';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
/** Anything the page's Content-Security-Policy blocked (noVNC must work under it). */
const cspViolations: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumExecutable,
    args: chromiumArgs,
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
});

after(async () => {
  await browser?.close();
});

test('log in, create and start a VM, read its screen in the console', async () => {
  const loginPage = await page.goto(`${baseUrl()}/login`);
  assert.match(loginPage?.headers()['content-security-policy'] ?? '', /script-src 'self' 'nonce-/);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill(adminPassword());
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-vms').waitFor();
  await page.getByTestId('nav-hosts').click();
  await page.locator('[data-testid="host-row"][data-status="online"]').nth(1).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: `${artifacts}/hosts.png` });

  // Bad input first: a <script> name is refused with a field error and stays inert text.
  // The VM page (and its console) is reached from here by client-side navigation, so this
  // document's policy is the one noVNC runs under.
  const formPage = await page.goto(`${baseUrl()}/vms/new`);
  const csp = formPage?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self' 'nonce-[^']+'(;|$)/, `CSP on the page: ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/);
  // The form's defaults first (a value typed before the templates load gets them put in front).
  await page.waitForFunction(
    () => ((document.querySelector('[data-testid="vm-memory"]') as HTMLInputElement | null)?.value ?? '') !== '',
  );
  await page.getByTestId('vm-name').fill('<script>alert(1)</script>');
  await page.getByTestId('vm-create-submit').click();
  await page.getByTestId('field-error-name').waitFor();
  assert.match(await page.getByTestId('field-error-name').innerText(), /only letters, digits/);
  assert.equal(await page.locator('script:text("alert(1)")').count(), 0);

  const name = uniqueName('web');
  await page.getByTestId('vm-name').fill(name);
  await page.getByTestId('vm-memory').fill('128');
  await page.getByTestId('vm-start-after').uncheck();
  await page.getByTestId('vm-create-submit').click();
  await page.waitForURL(/\/vms\/(?!new\b)[^/?]+\?task=/, { timeout: 60_000 });
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 60_000 });
  await openVmTab(page, 'console');
  await page.getByTestId('console-placeholder').waitFor();
  await page.getByTestId('vm-start').click();
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });

  const screen = page.getByTestId('vnc-screen');
  await page.locator('[data-testid="vnc-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  // The guest draws its banner and colour bars within seconds of boot under TCG.
  const colours = await waitForColours(page, 90_000);
  await screen.screenshot({ path: `${artifacts}/console.png` });
  await page.screenshot({ path: `${artifacts}/vm-page.png` });
  assert.ok(colours.green > 2000, `green bar pixels on the canvas: ${colours.green}`);
  assert.ok(colours.magenta > 2000, `magenta bar pixels on the canvas: ${colours.magenta}`);
  assert.deepEqual(dialogs, [], 'no script ran');
  assert.deepEqual(cspViolations, [], 'the CSP blocked nothing the console needs');

  // Destructive actions ask first: Force off confirms, Delete wants the VM's name typed.
  await clickMoreAction(page, 'vm-forceoff');
  await page.getByTestId('confirm-ok').click();
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 60_000 });
  await clickMoreAction(page, 'vm-delete');
  assert.equal(await page.getByTestId('confirm-ok').isDisabled(), true, 'Delete waits for the name');
  await page.getByTestId('confirm-input').fill(name);
  await page.getByTestId('confirm-ok').click();
  const { api } = await admin();
  const gone = async () => !(await listAllVms(api)).some((v) => v.name === name);
  for (let i = 0; i < 100 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 200));
  assert.ok(await gone(), 'the VM was deleted');
  await page.getByTestId('nav-vms').click();
  await page.getByTestId('vm-filter').waitFor();
  assert.equal(await page.locator(`[data-testid="vm-row"][data-name="${name}"]`).count(), 0);
});

/** Counts VGA green (0,168,0) and magenta (168,0,168) pixels on the noVNC canvas. */
async function waitForColours(p: Page, timeoutMs: number): Promise<{ green: number; magenta: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = { green: 0, magenta: 0 };
  while (Date.now() < deadline) {
    last = (await p.evaluate(COUNT_COLOURS)) as { green: number; magenta: number };
    if (last.green > 2000 && last.magenta > 2000) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

/**
 * Runs in the page. A string, not a function: tsx would wrap named inner functions in a
 * `__name` helper that does not exist in the browser. QEMU's VGA palette gives 168 where the VGA
 * spec says 170, so each channel is matched with a little tolerance.
 */
const COUNT_COLOURS = `(() => {
  const canvas = document.querySelector('[data-testid="vnc-screen"] canvas');
  if (!canvas || canvas.width === 0) return { green: 0, magenta: 0 };
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let green = 0, magenta = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], g = data[i + 1], b = data[i + 2];
    const hiR = r >= 160 && r <= 180, hiG = g >= 160 && g <= 180, hiB = b >= 160 && b <= 180;
    if (r <= 12 && hiG && b <= 12) green++;
    else if (hiR && g <= 12 && hiB) magenta++;
  }
  return { green, magenta };
})()`;
