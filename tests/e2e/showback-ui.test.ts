/**
 * Leases and showback in Chromium (issue 10): the VM page's Lease card shows the expiry and the
 * policy's limit and extends the lease; the Showback page lists a real project's metered usage
 * (a real VM ran in it, then was deleted so its figures stay put) with the figures the API
 * reports for the same range, draws the charts, and its CSV export downloads those figures.
 * Screenshots for a person to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Api, admin, baseUrl, defaultTemplate, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { formatCost, formatHours } from '../../apps/web/src/modules/showback/showback-format.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { waitFor } from '../support/lab.ts';
import { closeProjectsDb, ensureProject, putInProject, resetTestClock } from '../support/projects.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/showback`;
const DAY = 86_400_000;
let browser: Browser;
let page: Page;
let api: Api;
let vmId: string;
let projectId: string;
let projectName: string;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ api } = await admin());
  resetTestClock();
  projectName = uniqueName('showback');
  projectId = await ensureProject(projectName);
  await api.showback.setLeasePolicy.mutate({ projectId, defaultDays: 7, maxDays: 10, graceDays: 2, reminderDays: 1 });
  await api.showback.setPrices.mutate({ currency: 'EUR', vcpuHour: 0.04, memoryGiBHour: 0.01, diskGiBHour: 0.001 });
  const template = await defaultTemplate(api);
  const created = await api.vm.create.mutate({
    name: uniqueName('metered'),
    templateId: template.id,
    vcpus: 2,
    memoryMiB: 256,
    start: true,
    disks: [{ bus: 'virtio', format: 'qcow2', source: { kind: 'blank', sizeBytes: 1024 ** 3 } }],
  });
  vmId = created.vmId;
  const task = await waitTask(api, created.taskId, 120_000);
  assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
  await putInProject(vmId, projectId);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  await logInPage(page);
});

after(async () => {
  await browser?.close();
  await removeVms(api, [vmId]);
  await closeProjectsDb();
});

test('the VM page shows the lease and extends it within the policy', async () => {
  const expiresAt = new Date(Date.now() + 3 * DAY);
  await api.vm.setLease.mutate({ vmId, expiresAt });
  await page.goto(`${baseUrl()}/vms/${vmId}`);
  const card = page.getByTestId('vm-lease');
  await card.waitFor();
  assert.match(await card.getByTestId('lease-expires').innerText(), /in 2 d 23 h|in 3 d 0 h/);
  // 10 days at most from now, 3 already leased: 6 or 7 whole days may be added.
  assert.match(await card.getByTestId('lease-limit').innerText(), /At most [67] days/);
  await card.screenshot({ path: `${artifacts}/lease-card.png` });
  await card.getByTestId('lease-days').fill('2');
  await card.getByTestId('lease-extend').click();
  await waitFor('the lease extended', async () => {
    const l = await api.vm.lease.query({ vmId });
    return l.expiresAt !== null && Date.parse(l.expiresAt) === expiresAt.getTime() + 2 * DAY;
  });
  await card.getByTestId('lease-days').fill('30');
  assert.equal(await card.getByTestId('lease-extend').isDisabled(), true, 'beyond the policy: not offered');
  await page.screenshot({ path: `${artifacts}/vm-page-lease.png` });

  // The VM list: filtered to leases expiring within 7 days and sorted by expiry, it is there
  // (5 days left); within 1 day, it is not.
  const name = (await api.vm.byId.query({ vmId })).name;
  await page.goto(`${baseUrl()}/vms?lease=7&sort=lease`);
  const row = page.locator(`[data-testid="vm-row"][data-name="${name}"]`);
  await row.waitFor();
  assert.match(await row.getByTestId('vm-row-lease').innerText(), /^[45] d$/);
  await page.screenshot({ path: `${artifacts}/vm-list-lease.png` });
  await page.getByTestId('vm-lease-filter').selectOption('1');
  await row.waitFor({ state: 'detached' });
});

test('the Showback page shows the project’s metered usage, charts it, and exports it as CSV', async () => {
  const range = () => ({ from: new Date(Date.now() - DAY), to: new Date(Date.now() + 60_000), step: 'hour' as const });
  const mine = async () => (await api.showback.report.query(range())).rows.find((r) => r.projectId === projectId);
  await waitFor('usage metered in the project', async () => ((await mine())?.vcpuHours ?? 0) > 0, 60_000, 1000);
  // Deleted, the VM's figures stay put: the page and the API then agree to the digit.
  await removeVms(api, [vmId]);
  await new Promise((r) => setTimeout(r, 6000)); // one more metering tick (5 s in test stacks)

  await page.goto(`${baseUrl()}/showback`);
  await page.getByTestId('showback-period-day').click();
  const row = page.locator(`[data-testid="showback-row"][data-project="${projectName}"]`);
  await row.waitFor();
  const href = (await page.getByTestId('showback-export').getAttribute('href')) ?? '';
  const params = new URL(href, baseUrl()).searchParams;
  const report = await api.showback.report.query({
    from: new Date(params.get('from') ?? ''),
    to: new Date(params.get('to') ?? ''),
    step: 'hour',
  });
  const figures = report.rows.find((r) => r.projectId === projectId);
  assert.ok(figures, 'the API reports the project');
  assert.ok(figures.vcpuHours > 0 && figures.memoryGiBHours > 0 && figures.diskGiBHours > 0);
  // 2 vCPUs and 0.25 GiB of memory ran together: memory GiB-hours are vCPU-hours / 8.
  assert.ok(Math.abs(figures.memoryGiBHours - figures.vcpuHours / 8) < 1e-9);
  assert.equal(await row.getByTestId('showback-vcpu').innerText(), formatHours(figures.vcpuHours));
  assert.equal(await row.getByTestId('showback-cost').innerText(), formatCost(figures.cost, 'EUR'));
  await page.getByTestId('showback-chart-usage').waitFor();
  await page.getByTestId('showback-chart-cost').waitFor();
  await page.screenshot({ path: `${artifacts}/showback-page.png`, fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('showback-export').click()]);
  assert.match(download.suggestedFilename(), /^vireo-showback-.*\.csv$/);
  const csv = readFileSync((await download.path()) ?? '', 'utf8').split('\r\n');
  assert.equal(csv[0], 'project,projectId,from,to,vcpuHours,memoryGiBHours,diskGiBHours,currency,cost');
  const line = csv.find((l) => l.startsWith(`${projectName},`));
  assert.ok(line, 'the project is in the CSV');
  const cells = line.split(',');
  assert.equal(cells[1], projectId);
  assert.equal(cells[4], figures.vcpuHours.toFixed(4));
  assert.equal(cells[6], figures.diskGiBHours.toFixed(4));
  assert.equal(cells[8], figures.cost.toFixed(2));
});
