/**
 * Stats history against the lab: a running guest's samples become 10 s history rows for the VM
 * and its host within a few stats intervals, with plausible figures; the VM page and the host
 * page draw them as SVG charts (screenshots in test-artifacts/e2e/). A user who may not see the
 * VM gets NOT_FOUND for its history, host history is for admins, and a bad range is BAD_INPUT.
 * The test stack samples every 2 s (scripts/test.sh).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { admin, baseUrl, createTestVm, loginAs, rejection, uniqueName, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;

test('a running VM and its host get history rows, the API serves them, the pages chart them', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'hist');
  assert.equal(vm.state, 'running');
  assert.ok(vm.hostId, 'the VM is on a host');
  const hostId = vm.hostId;
  after(async () => {
    await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  });

  // Two closed 10 s buckets need at most ~25 s of 2 s samples (plus the first, rate-less one).
  const t0 = Date.now();
  const vmHistory = await waitFor(
    'two 10 s history points for the VM, one with CPU > 0',
    async () => {
      const h = await api.vm.statsHistory.query({ vmId, range: '1h' });
      return h.points.length >= 2 && h.points.some((p) => p.cpuPercent > 0) ? h : undefined;
    },
    45_000,
    1_000,
  );
  console.log(`VM history after ${Date.now() - t0} ms: ${JSON.stringify(vmHistory.points.slice(-2))}`);
  assert.equal(vmHistory.stepSeconds, 10);
  for (const p of vmHistory.points) {
    assert.ok(p.t >= vmHistory.from && p.t <= vmHistory.to, 'inside the range');
    assert.equal(p.t % 10_000, 0, 'on a 10 s boundary');
    assert.ok(p.cpuPercent >= 0 && p.cpuPercent <= 100, `one vCPU: ${p.cpuPercent}`);
    // QEMU's resident memory for a 128 MiB guest: more than nothing, well under a GiB.
    assert.ok(p.memoryUsedBytes !== null && p.memoryUsedBytes > 0 && p.memoryUsedBytes < 1024 ** 3);
  }
  const last = vmHistory.points.at(-1);
  // Rates need two samples, which every bucket after the first has.
  for (const f of ['diskReadBps', 'diskWriteBps', 'netRxBps', 'netTxBps'] as const) {
    assert.equal(typeof last?.[f], 'number', `${f} present`);
    assert.ok((last?.[f] ?? -1) >= 0, `${f} not negative`);
  }

  const hostInfo = (await api.host.list.query()).find((h) => h.id === hostId);
  assert.ok(hostInfo);
  const hostHistory = await api.host.statsHistory.query({ hostId, range: '1h' });
  assert.ok(hostHistory.points.length >= 1, 'the host has history too');
  for (const p of hostHistory.points) {
    assert.ok(p.cpuPercent >= 0 && p.cpuPercent <= 100);
    assert.ok(p.memoryUsedBytes !== null && p.memoryUsedBytes > 0 && p.memoryUsedBytes <= hostInfo.memoryBytes);
  }
  // The longer ranges read the 5 min buckets (none closed yet in a short run) with coarser steps.
  const month = await api.vm.statsHistory.query({ vmId, range: '30d' });
  assert.equal(month.stepSeconds, 3600);
  assert.ok(month.to - month.from === 30 * 24 * 3600_000);

  mkdirSync(artifacts, { recursive: true });
  let browser: Browser | undefined;
  after(() => browser?.close());
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await logInPage(page);
  for (const [url, name] of [
    [`/vms/${vmId}`, 'stats-history-vm'],
    [`/hosts/${hostId}`, 'stats-history-host'],
  ] as const) {
    await page.goto(`${baseUrl()}${url}`);
    const cpuLine = page.locator('[data-testid="chart-cpu"] path[data-testid="chart-line"]');
    await cpuLine.waitFor({ timeout: 20_000 });
    // A drawn line: a move and at least one line-to, every coordinate a number.
    const d = await waitFor(
      `${name}: a CPU line with points`,
      async () => {
        const path = (await cpuLine.getAttribute('d')) ?? '';
        return /^M[\d.]+ [\d.]+L[\d.]+ [\d.]+/.test(path) ? path : undefined;
      },
      15_000,
      250,
    );
    assert.ok(!d.includes('NaN'), d);
    // The VM page has grown (snapshots, tags, autostart): bring the chart on screen to hover it.
    await page.getByTestId('chart-cpu').scrollIntoViewIfNeeded();
    const box = await page.getByTestId('chart-cpu').locator('svg').boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    const hoverValue = page.getByTestId('chart-cpu').getByTestId('chart-hover-value');
    await hoverValue.waitFor();
    assert.match(await hoverValue.innerText(), /^\d+(\.\d)? %$/);
    await page.getByTestId('performance').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
  }
  // The host list links to the host page.
  await page.goto(`${baseUrl()}/hosts`);
  await page.locator(`a[href="/hosts/${hostId}"]`).click();
  await page.getByTestId('host-name-heading').waitFor();
  assert.equal(await page.getByTestId('host-name-heading').innerText(), hostInfo.name);
});

test('history is refused: another user’s VM is NOT_FOUND, host history needs an admin, bad range is BAD_INPUT', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'hist-acl', { start: false });
  after(async () => {
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  });
  const username = uniqueName('hist')
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  await api.user.create.mutate({ username, password: 'not-the-admin-pw', role: 'user' });
  const other = await loginAs(username, 'not-the-admin-pw');

  assert.equal((await rejection(other.api.vm.statsHistory.query({ vmId, range: '1h' }))).code, 'NOT_FOUND');
  // A user with no role on the host cannot even see it (issue 10): missing, not forbidden.
  assert.equal(
    (await rejection(other.api.host.statsHistory.query({ hostId: vm.hostId ?? 'x', range: '1h' }))).code,
    'NOT_FOUND',
  );
  const bad = await rejection(api.vm.statsHistory.query({ vmId, range: '2h' as never }));
  assert.equal(bad.code, 'BAD_INPUT');
  assert.match(bad.message, /1h, 24h, 7d, 30d/);
  assert.equal(
    (await rejection(api.host.statsHistory.query({ hostId: 'no-such-host', range: '1h' }))).code,
    'NOT_FOUND',
  );
  // The owner (an admin here) reads it: a stopped VM simply has no points.
  assert.deepEqual((await api.vm.statsHistory.query({ vmId, range: '1h' })).points, []);
});
