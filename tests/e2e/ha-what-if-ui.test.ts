/**
 * In Chromium, on a host's page: "What if this host fails now?" shows, from the real HA decision
 * step run by the manager on the cluster as it is, the two HA VMs on the host restarting on other
 * hosts (the one that depends on the other "after" it) and the VM without HA staying down. The
 * VMs are real (running in the lab, moved onto one host by live migration); their HA settings are
 * written straight into the stack's database (the manager shares the SQLite file), as the HA
 * settings API is another part's. The screenshot is an artifact.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Api, admin, createTestVm, removeVms, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';

const stackDir = process.env.VIREO_TEST_STACK_DIR;
if (!stackDir) throw new Error('VIREO_TEST_STACK_DIR is not set: run through scripts/test.sh');
process.env.DATABASE_URL ??= `file:${path.join(stackDir, 'vireo.db')}`;
const db = await import('@vireo/db');

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;
let api: Api;
const made: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ api } = await admin());
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
});
after(async () => {
  await browser?.close();
  await removeVms(api, made);
  await db.closeDb();
});

test('What if this host fails now? lists where each HA VM would restart and why, and the VM without HA', async () => {
  const vms = [];
  for (const prefix of ['hadb', 'haapp', 'plain']) {
    const { vmId, vm } = await createTestVm(api, prefix);
    made.push(vmId);
    vms.push(vm);
  }
  const [dbVm, appVm, plainVm] = vms;
  assert.ok(dbVm?.hostId && appVm && plainVm);
  const hostId = dbVm.hostId;
  for (const vm of [appVm, plainVm]) {
    if (vm.hostId === hostId) continue;
    const { taskId } = await api.vm.migrate.mutate({ vmId: vm.id, targetHostId: hostId });
    const task = await waitTask(api, taskId, 120_000);
    assert.equal(task.state, 'succeeded', `moving ${vm.name} onto one host: ${task.errorMessage}`);
  }
  const prisma = db.getDb();
  await prisma.vm.update({ where: { id: dbVm.id }, data: { haEnabled: true, haPriority: 1 } });
  await prisma.vm.update({
    where: { id: appVm.id },
    data: { haEnabled: true, haPriority: 5, haDependsOnId: dbVm.id },
  });

  const hosts = await api.host.list.query();
  const host = hosts.find((h) => h.id === hostId);
  assert.ok(host);
  const others = hosts.filter((h) => h.id !== hostId && h.clusterName === host.clusterName && h.status === 'online');
  assert.ok(others.length > 0, 'the lab has other online hosts in the cluster');

  // The API answer, from the same code the panel shows.
  const answer = await api.ha.whatIf.query({ hostId });
  assert.deepEqual(
    answer.restarts.map((r) => r.vmName),
    [dbVm.name, appVm.name],
    'the VM the app depends on first, then the app',
  );
  assert.deepEqual(
    answer.notProtected.map((v) => v.vmName),
    [plainVm.name],
  );

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/hosts/${hostId}`);
  await page.getByTestId('ha-what-if-button').click();
  const table = page.getByTestId('ha-what-if-table');
  await table.waitFor({ timeout: 30_000 });
  const row = (name: string) => page.locator(`[data-testid="ha-what-if-row"][data-vm="${name}"]`);
  for (const vm of [dbVm, appVm]) {
    assert.equal(await row(vm.name).getAttribute('data-outcome'), 'restart', `${vm.name} restarts`);
    const target = (await row(vm.name).getByTestId('ha-what-if-target').innerText()).trim();
    assert.ok(
      others.some((h) => h.name === target),
      `${vm.name} restarts on another host of the cluster, not ${target}`,
    );
    assert.match(await row(vm.name).innerText(), /best host by placement/);
  }
  assert.match(await row(appVm.name).innerText(), new RegExp(`after ${dbVm.name}, which runs`));
  assert.equal(await row(plainVm.name).getAttribute('data-outcome'), 'none');
  assert.match(await row(plainVm.name).innerText(), /no HA: stays down/);
  const recovery = await page.getByTestId('ha-what-if-recovery').innerText();
  assert.match(recovery, new RegExp(host.name));
  await page.getByTestId('ha-what-if').screenshot({ path: `${artifacts}/ha-what-if.png` });
  await page.screenshot({ path: `${artifacts}/ha-what-if-page.png`, fullPage: true });

  // Turning HA off on the app: it moves to "no HA" on the next ask.
  await prisma.vm.update({ where: { id: appVm.id }, data: { haEnabled: false } });
  await page.getByTestId('ha-what-if-button').click();
  await row(appVm.name).and(page.locator('[data-outcome="none"]')).waitFor({ timeout: 15_000 });
});
