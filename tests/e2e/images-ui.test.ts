/**
 * Images in Chromium: a qcow2 of a few tens of MiB is uploaded from the page with visible
 * progress (bytes and rate; the upload is throttled to 12 MiB/s through Chromium's network
 * emulation so progress can be seen), lands in a libvirt pool on a lab host and is listed; a
 * lying file is refused with the host's reason on the page. The pool is picked from a list of the
 * host's pools (made through the Storage API, with free space shown), and an uploaded image links
 * to its pool's volume list on the Storage page.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { dropLabPool } from '../support/images.ts';
import { type LabHost, lab, virsh } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/images`;
const POOL = `vui${Date.now().toString(36)}`;
let browser: Browser;
let page: Page;
let host: LabHost;
let hostId: string;
let work: string;
let poolDir: string;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  host = lab().hosts[0] as LabHost;
  poolDir = join(lab().sharedDir, `pool-${POOL}`);
  work = await mkdtemp(join(tmpdir(), 'vireo-images-ui-'));
  const { api } = await admin();
  const found = (await api.host.list.query()).find((h) => h.name === host.name);
  assert.ok(found);
  hostId = found.id;
  const made = await api.storage.createPool.mutate({ scope: 'host', hostId, name: POOL, path: poolDir });
  assert.deepEqual(made.notApplied, []);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await logInPage(page);
});

after(async () => {
  await browser?.close();
  const { api } = await admin();
  // The pool holds the uploaded image: take it out of libvirt directly when Vireo refuses.
  await api.storage.deletePool.mutate({ name: POOL }).catch(() => dropLabPool(host, POOL));
  await rm(poolDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

async function fillForm(file: string, name?: string) {
  await page.getByTestId('upload-file').setInputFiles(file);
  await page.getByLabel('Host').first().selectOption(hostId);
  const pool = page.getByTestId('upload-pool');
  // The host's pools, with free space: the test's pool among them.
  await pool.locator(`option[value="${POOL}"]`).waitFor({ state: 'attached', timeout: 15_000 });
  assert.match((await pool.locator(`option[value="${POOL}"]`).textContent()) ?? '', /free$/);
  await pool.selectOption(POOL);
  if (name) await page.getByTestId('upload-name').fill(name);
}

test('upload a qcow2 with visible progress; it lands in the pool and is listed', async () => {
  const raw = join(work, 'ui.raw');
  execFileSync('dd', ['if=/dev/urandom', `of=${raw}`, 'bs=1M', 'count=40', 'status=none']);
  const file = join(work, 'ui-disk.qcow2');
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, file]);

  await page.goto(`${baseUrl()}/images`);
  await page.getByTestId('nav-images').waitFor();
  await fillForm(file);
  assert.equal(await page.getByTestId('upload-name').inputValue(), 'ui-disk.qcow2');
  assert.equal(await page.getByTestId('upload-format').inputValue(), 'qcow2', 'format guessed from the extension');

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 12 * 1024 * 1024,
  });
  await page.getByTestId('upload-start').click();
  const progress = page.getByTestId('upload-progress');
  // Progress moves: a point strictly between 0 and the total, with a rate shown.
  const mid = await page.waitForFunction(
    () => {
      const el = document.querySelector('[data-testid="upload-progress"]');
      const sent = Number(el?.getAttribute('data-sent'));
      const total = Number(el?.getAttribute('data-total'));
      const rate = document.querySelector('[data-testid="upload-rate"]')?.textContent ?? '';
      return sent > 0 && sent < total && !rate.startsWith('0.0') ? { sent, total, rate } : null;
    },
    null,
    { timeout: 30_000, polling: 100 },
  );
  const seen = (await mid.jsonValue()) as { sent: number; total: number; rate: string };
  assert.match(seen.rate, /MiB\/s/);
  assert.match((await page.getByTestId('upload-bytes').textContent()) ?? '', /MiB of .*MiB/);
  await progress.screenshot({ path: `${artifacts}/upload-progress-bar.png` });
  await page.screenshot({ path: `${artifacts}/upload-in-progress.png` });

  await page.getByTestId('upload-done').waitFor({ timeout: 60_000 });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  const row = page.locator('[data-testid="upload-row"][data-name="ui-disk.qcow2"][data-state="done"]');
  await row.waitFor({ timeout: 15_000 });
  await page.screenshot({ path: `${artifacts}/upload-done.png` });
  const vols = await virsh(host, 'vol-list', POOL);
  assert.match(vols.stdout, /ui-disk\.qcow2/);
  // The image's pool links to that pool's volumes on the Storage page, where the image is one.
  await row.getByTestId('upload-pool-link').click();
  await page.waitForURL(`**/storage#pool-${POOL}`);
  const section = page.locator(`[data-testid="pool"][data-name="${POOL}"]`);
  await section.getByText('ui-disk.qcow2').first().waitFor({ timeout: 15_000 });
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/image-in-storage.png` });
});

test('a qcow2 given as a raw .img is refused with the reason, and nothing is left', async () => {
  const file = join(work, 'lying.img');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '32M']);
  await page.goto(`${baseUrl()}/images`);
  await fillForm(file);
  assert.equal(await page.getByTestId('upload-format').inputValue(), 'raw');
  await page.getByTestId('upload-start').click();
  const error = page.getByTestId('upload-error');
  await error.waitFor({ timeout: 60_000 });
  assert.match((await error.textContent()) ?? '', /given as raw but its content is qcow2/);
  await page.screenshot({ path: `${artifacts}/upload-refused.png` });
  assert.doesNotMatch((await virsh(host, 'vol-list', POOL)).stdout, /lying\.img/);
});
