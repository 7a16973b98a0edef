// Screenshots of the key screens against a running manager, for a person to look at.
// Creates one VM named ui-check-<time>, opens its console, then forces it off and deletes it.
// Also mints one (unused, single-use, 24 h) enrollment token, and creates the non-admin user
// ui-check-user once (its password is kept in var/vireo/, beside the database it belongs to) to
// look at the console as a non-admin.
// Usage: node apps/web/scripts/ui-screens.mjs [ready-file] [out-dir]
//   ready-file: url, username, password on three lines (default /tmp/vireo-manager-ready)
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumExecutable } from '../../../tests/support/chromium.mjs';

const [readyFile = '/tmp/vireo-manager-ready', outDir = 'test-artifacts/ui'] = process.argv.slice(2);
const [base, username, password] = readFileSync(readyFile, 'utf8')
  .trim()
  .split('\n')
  .map((s) => s.trim());
mkdirSync(outDir, { recursive: true });

const context = await chromium.launchPersistentContext(join(tmpdir(), `vireo-ui-${process.pid}`), {
  executablePath: chromiumExecutable,
  headless: true,
  viewport: { width: 1440, height: 900 },
  args: chromiumArgs,
});
const page = context.pages()[0] ?? (await context.newPage());
page.on('pageerror', (e) => console.log('pageerror:', e.message));
page.on('console', (m) => m.type() === 'error' && console.log('console.error:', m.text()));
const shot = async (name, p = page) => {
  await p.screenshot({ path: `${outDir}/${name}.png` });
  console.log('saved', `${outDir}/${name}.png`);
};
const t = (id) => `[data-testid="${id}"]`;

try {
  await page.goto(`${base}/login`);
  await page.fill(t('login-username'), username);
  await page.fill(t('login-password'), 'wrong-password');
  await page.click(t('login-submit'));
  await page.waitForSelector(t('form-error'));
  await shot('login-error');
  await page.fill(t('login-password'), password);
  await page.click(t('login-submit'));
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));

  await page.click(t('nav-hosts'));
  await page.waitForSelector(t('host-row'));
  await page.waitForTimeout(500);
  await shot('hosts');

  await page.click(t('nav-vms'));
  // CSS and text selectors cannot share one selector list; .or() waits for either.
  await page.locator(t('vm-row')).or(page.getByText('No virtual machines yet')).first().waitFor();
  await shot('vms');

  await page.click(t('vm-new'));
  await page.fill(t('vm-name'), 'ui check!');
  await page.click(t('vm-create-submit'));
  await page.waitForSelector(t('field-error-name'));
  await shot('vm-new-invalid');

  const name = `ui-check-${Date.now().toString(36)}`;
  await page.fill(t('vm-name'), name);
  await page.click(t('vm-create-submit'));
  await page.waitForURL(/\/vms\/[^/]+\?task=/, { timeout: 30_000 });
  await page.waitForTimeout(700);
  await shot('vm-creating');
  await page.waitForSelector(`${t('vm-state')}:text-is("running")`, { timeout: 120_000 });
  await page.waitForSelector(`${t('vnc-status')}[data-state="connected"]`, { timeout: 60_000 });
  await page.waitForTimeout(4_000);
  await page.click(t('console-paste-open'));
  await page.fill(t('console-paste-text'), 'echo Hello-From-Vireo 123\n');
  await shot('vm-console-paste');
  await page.click(t('console-paste-send'));
  await page.waitForTimeout(2_000);
  await shot('vm-console');

  const vmUrl = page.url().split('?')[0];
  const popup = await context.newPage();
  await popup.setViewportSize({ width: 1100, height: 720 });
  await popup.goto(`${vmUrl}/console`);
  await popup.waitForSelector(`${t('vnc-status')}[data-state="connected"]`, { timeout: 60_000 });
  await popup.waitForTimeout(2_000);
  await shot('vm-console-window', popup);
  await popup.close();

  await page.goto(`${base}/vms`);
  await page.waitForSelector(`${t('vm-row')}[data-name="${name}"]`);
  await shot('vms-with-new');

  await page.goto(vmUrl);
  await page.click(t('vm-forceoff'));
  await shot('vm-forceoff-confirm');
  await page.click(t('confirm-ok'));
  await page.waitForSelector(`${t('vm-state')}:text-is("shutoff")`, { timeout: 60_000 });
  await shot('vm-shutoff');
  await page.click(t('vm-delete'));
  await page.fill(t('confirm-input'), name.slice(0, -1));
  if (!(await page.isDisabled(t('confirm-ok')))) throw new Error('Delete is allowed before the full name is typed');
  await page.fill(t('confirm-input'), name);
  await shot('vm-delete-confirm');
  await page.click(t('confirm-ok'));
  await page.waitForSelector('text=This virtual machine no longer exists', { timeout: 60_000 });
  await shot('vm-deleted');

  await page.click(t('nav-tasks'));
  await page.waitForSelector(t('task-row'));
  await page.waitForSelector(t('event-row'));
  await shot('tasks');

  await page.click(t('nav-hosts'));
  await page.click(t('host-add'));
  await page.click(t('enroll-create')); // opening the dialog no longer mints a token by itself
  await page.waitForSelector(t('enroll-command'));
  const command = await page.inputValue(t('enroll-command'));
  const token = await page.inputValue(t('enroll-token'));
  if (!command.includes(`VIREO_MANAGER_URL=${new URL(base).origin} VIREO_ENROLLMENT_TOKEN=${token} `))
    throw new Error(`Unexpected agent command: ${command}`);
  await shot('hosts-add');
  await page.keyboard.press('Escape');

  await page.click(t('nav-users'));
  await page.waitForSelector(t('user-row'));
  await page.fill(t('user-username'), 'UI Check');
  await page.fill(t('user-password'), 'short');
  await page.click(t('user-create-submit'));
  await page.waitForSelector(t('form-error'));
  await shot('users-invalid');
  const user = {
    name: 'ui-check-user',
    passwordFile: fileURLToPath(new URL('../../../var/vireo/ui-check-user-password', import.meta.url)),
  };
  if (!(await page.locator(`${t('user-row')}[data-name="${user.name}"]`).count())) {
    const pw = randomBytes(12).toString('base64url');
    await page.fill(t('user-username'), user.name);
    await page.fill(t('user-password'), pw);
    await page.selectOption(t('user-role'), 'user');
    await page.click(t('user-create-submit'));
    await page.waitForSelector(`${t('user-row')}[data-name="${user.name}"]`);
    writeFileSync(user.passwordFile, `${pw}\n`, { mode: 0o600 });
  }
  await shot('users');

  if (!existsSync(user.passwordFile)) {
    console.log(`skipped the non-admin screens: ${user.name} exists but ${user.passwordFile} is gone`);
  } else {
    await page.click(t('logout'));
    await page.waitForURL(/\/login/);
    await page.fill(t('login-username'), user.name);
    await page.fill(t('login-password'), readFileSync(user.passwordFile, 'utf8').trim());
    await page.click(t('login-submit'));
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.locator(t('vm-row')).or(page.getByText('No virtual machines yet')).first().waitFor();
    if (await page.locator(t('nav-users')).count()) throw new Error('A non-admin sees the Users item');
    await shot('user-vms');
    await page.click(t('nav-hosts'));
    await page.waitForSelector(t('host-row'));
    await shot('user-hosts');
    await page.click(t('nav-tasks'));
    await page.locator(t('task-row')).or(page.getByText('No tasks yet')).first().waitFor();
    await shot('user-tasks');
    await page.goto(`${base}/users`);
    await page.waitForSelector(t('admin-only'));
    await shot('user-users-page');
  }
} catch (err) {
  console.error(err);
  await shot('failure');
  process.exitCode = 1;
} finally {
  await context.close();
}
