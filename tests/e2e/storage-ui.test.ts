/**
 * The Storage page in Chromium: the default pool's figures on every lab host as libvirt reports
 * them; a volume created in the dialog, and one created behind the page's back through the API,
 * appear without a reload; deleting a base that has a linked clone is refused with the reason.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { formatSize } from '../../apps/web/src/modules/storage/storage-format.ts';
import { type Api, admin, uniqueName, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { lab } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/storage`;
let browser: Browser;
let page: Page;
let api: Api;
const made: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ api } = await admin());
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(page);
});

after(async () => {
  await browser?.close();
  for (const name of made.reverse()) {
    const t = await api.storage.deleteVolume.mutate({ pool: 'default', name }).catch(() => null);
    if (t) await waitTask(api, t.taskId);
  }
});

const pool = () => page.locator('[data-testid="pool"][data-name="default"]');
const row = (name: string) => pool().locator(`[data-testid="volume-row"][data-name="${name}"]`);

test('the Storage page shows the default pool on every host with libvirt figures', async () => {
  await page.getByTestId('nav-storage').click();
  await pool().waitFor();
  const hosts = lab().hosts;
  await page.waitForFunction(
    (n) =>
      document.querySelectorAll('[data-testid="pool"][data-name="default"] [data-testid="pool-used"]').length === n,
    hosts.length,
    { timeout: 60_000 },
  );
  const listed = (await api.storage.list.query()).find((p) => p.name === 'default');
  for (const h of hosts) {
    const figures = listed?.hosts.find((x) => x.hostName === h.name)?.libvirt;
    assert.ok(figures, `figures for ${h.name}`);
    const used = await pool()
      .locator(`[data-testid="pool-host"][data-host="${h.name}"] [data-testid="pool-used"]`)
      .innerText();
    assert.match(used, new RegExp(`of ${formatSize(figures.capacityBytes)}$`));
    const free = await pool()
      .locator(`[data-testid="pool-host"][data-host="${h.name}"] [data-testid="pool-free"]`)
      .innerText();
    assert.match(free, /free$/);
  }
  await page.screenshot({ path: `${artifacts}/storage-pools.png` });
});

test('a volume created in the dialog, and one created through the API, appear without a reload', async () => {
  const name = `${uniqueName('ui')}.qcow2`;
  await pool().getByTestId('volume-create').click();
  const dialog = page.getByTestId('volume-create-dialog');
  await dialog.waitFor();
  // Focus starts in the name field: typing goes there.
  await page.keyboard.type(name);
  await dialog.getByTestId('volume-size-input').fill('2G');
  await page.screenshot({ path: `${artifacts}/storage-create-dialog.png` });
  await page.keyboard.press('Enter');
  made.push(name);
  await dialog.waitFor({ state: 'detached' });
  await row(name).waitFor({ timeout: 60_000 });
  assert.match(await row(name).getByTestId('volume-size').innerText(), /^2 GiB virtual · \d+(\.\d)? KiB allocated$/);

  const other = `${uniqueName('api')}.img`;
  const t = await api.storage.createVolume.mutate({
    pool: 'default',
    name: other,
    format: 'raw',
    capacityBytes: 64 * 1024 ** 2,
  });
  made.push(other);
  assert.equal((await waitTask(api, t.taskId)).state, 'succeeded');
  await row(other).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: `${artifacts}/storage-volumes.png` });
});

test('deleting a base with a linked clone is refused on the page, with the reason', async () => {
  const base = `${uniqueName('b')}.qcow2`;
  const clone = `${uniqueName('c')}.qcow2`;
  const t1 = await api.storage.createVolume.mutate({
    pool: 'default',
    name: base,
    format: 'qcow2',
    capacityBytes: 1024 ** 3,
  });
  made.push(base);
  assert.equal((await waitTask(api, t1.taskId)).state, 'succeeded');
  const t2 = await api.storage.cloneVolume.mutate({
    pool: 'default',
    name: clone,
    source: { pool: 'default', name: base },
    mode: 'linked',
  });
  made.push(clone);
  assert.equal((await waitTask(api, t2.taskId)).state, 'succeeded');
  await row(clone).waitFor({ timeout: 15_000 });
  assert.match(await row(base).getByTestId('volume-users').innerText(), /base of 1 clone/);

  await row(base).getByTestId('volume-delete').click();
  await page.getByTestId('volume-delete-dialog').waitFor();
  await page.getByTestId('confirm-ok').click();
  const error = pool().getByTestId('volume-error');
  await error.waitFor();
  assert.match(await error.innerText(), /base of 1 linked clone/);
  await page.screenshot({ path: `${artifacts}/storage-delete-refused.png` });
  assert.equal(await row(base).count(), 1, 'the base is still listed');
});
