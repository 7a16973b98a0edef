/**
 * In Chromium, on a host's page: "Enter maintenance" opens a confirmation with the dry run (the
 * VM on the host and the host it would go to); confirming moves it (a stopped VM: cold), the
 * page shows the per-VM report (where it went) and the maintenance badge, as does the Hosts list; libvirt has
 * the domain on the other host. "Exit maintenance" clears the badge. A VM pinned to its host by
 * a hard affinity rule is shown blocked with its reason and the choices; Force maintenance marks
 * the host in maintenance with the VM still running there. Screenshots are artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Api, admin, createTestVm, removeVms, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { domState, hostOfDomain } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;
let api: Api;
const made: string[] = [];
let hostId = '';
let pinnedHostId = '';
let groupId = '';

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ api } = await admin());
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});
after(async () => {
  await browser?.close();
  if (groupId) await api.affinity.delete.mutate({ groupId }).catch(() => {});
  for (const id of [hostId, pinnedHostId]) {
    if (id) await api.host.exitMaintenance.mutate({ hostId: id }).catch(() => {});
  }
  await removeVms(api, made);
});

test('Enter maintenance from the host page shows the dry run, moves the VM, badges the host; Exit clears it', async () => {
  const { vmId, vm } = await createTestVm(api, 'mntui', { start: false });
  made.push(vmId);
  assert.ok(vm.hostId && vm.hostName);
  hostId = vm.hostId;
  const hostName = vm.hostName;

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/hosts/${hostId}`);
  await page.getByTestId('enter-maintenance').click();
  const dialog = page.getByTestId('maintenance-dialog');
  const item = dialog.locator(`[data-testid="maintenance-plan-item"][data-vm="${vm.name}"]`);
  await item.waitFor({ timeout: 30_000 });
  assert.equal(await item.getAttribute('data-action'), 'cold');
  const hosts = await api.host.list.query();
  const planned = await item.innerText();
  assert.ok(
    hosts.some((h) => h.id !== hostId && planned.includes(`→ ${h.name}`)),
    `the dry run names another host: ${planned}`,
  );
  await page.screenshot({ path: `${artifacts}/maintenance-dialog.png` });

  await dialog.getByTestId('confirm-ok').click();
  await page
    .getByTestId('maintenance-badge')
    .filter({ hasText: /^maintenance$/ })
    .waitFor({ timeout: 90_000 });
  const moved = page.locator(`[data-testid="maintenance-item"][data-vm="${vm.name}"]`);
  await moved.and(page.locator('[data-status="moved"]')).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: `${artifacts}/maintenance-host.png` });
  // The job chooses again when the move starts (load may have changed): the report names where it went.
  const report = await moved.innerText();
  const target = hosts.find((h) => h.id !== hostId && report.includes(`moved → ${h.name}`));
  assert.ok(target, `the report names the host it went to: ${report}`);
  assert.equal((await hostOfDomain(vm.uuid))?.name, target.name, 'libvirt has the VM where the report says');
  assert.equal((await api.vm.byId.query({ vmId })).hostId, target.id);

  // The Hosts list shows it too.
  await page.goto(`${process.env.VIREO_TEST_URL}/hosts`);
  const row = page.locator(`[data-testid="host-row"][data-name="${hostName}"]`);
  await row.getByTestId('maintenance-badge').waitFor({ timeout: 15_000 });
  assert.equal(await row.getAttribute('data-maintenance'), 'maintenance');
  await page.screenshot({ path: `${artifacts}/maintenance-list.png` });

  await page.goto(`${process.env.VIREO_TEST_URL}/hosts/${hostId}`);
  await page.getByTestId('exit-maintenance').click();
  await page.getByTestId('enter-maintenance').waitFor({ timeout: 15_000 });
  assert.equal(await page.getByTestId('maintenance-badge').count(), 0);
  assert.equal((await api.host.list.query()).find((h) => h.id === hostId)?.maintenance, 'none');
});

test('a VM that cannot move shows its reason and the choices; Force maintenance leaves it running there', async () => {
  const { vmId, vm } = await createTestVm(api, 'mntpinui');
  made.push(vmId);
  assert.ok(vm.hostId);
  pinnedHostId = vm.hostId;
  const group = await api.affinity.create.mutate({ name: uniqueName('pinui'), kind: 'affinity', hard: true });
  groupId = group.id;
  await api.affinity.addVms.mutate({ groupId, vmIds: [vmId] });
  await api.affinity.setHosts.mutate({ groupId, hostIds: [pinnedHostId] });

  await page.goto(`${process.env.VIREO_TEST_URL}/hosts/${pinnedHostId}`);
  await page.getByTestId('enter-maintenance').click();
  const dialog = page.getByTestId('maintenance-dialog');
  const item = dialog.locator(`[data-testid="maintenance-plan-item"][data-vm="${vm.name}"]`);
  await item.waitFor({ timeout: 30_000 });
  assert.equal(await item.getAttribute('data-action'), 'blocked');
  assert.match(await item.innerText(), new RegExp(`cannot move: .*affinity group ${group.name}`));
  await dialog.getByTestId('confirm-ok').click();

  const choices = page.getByTestId('maintenance-choices');
  await choices.waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('maintenance-badge').innerText(), 'entering maintenance');
  const blocked = page.locator(`[data-testid="maintenance-item"][data-vm="${vm.name}"]`);
  assert.equal(await blocked.getAttribute('data-status'), 'blocked');
  assert.match(await blocked.innerText(), new RegExp(`affinity group ${group.name}`));
  assert.match(await page.getByTestId('maintenance-error').innerText(), /Choose: retry/);
  await page.screenshot({ path: `${artifacts}/maintenance-blocked.png` });

  await choices.getByTestId('maintenance-force').click();
  const force = page.getByTestId('maintenance-force-dialog');
  assert.match(await force.innerText(), new RegExp(`${vm.name} still on it. They keep running there`));
  await force.getByTestId('confirm-ok').click();
  await page
    .getByTestId('maintenance-badge')
    .filter({ hasText: /^maintenance$/ })
    .waitFor({ timeout: 15_000 });
  const where = await hostOfDomain(vm.uuid);
  assert.ok(where);
  assert.equal(await domState(where, vm.uuid), 'running', 'the VM keeps running where it was');
  assert.equal((await api.vm.byId.query({ vmId })).hostId, pinnedHostId);
  await page.screenshot({ path: `${artifacts}/maintenance-forced.png` });
});
