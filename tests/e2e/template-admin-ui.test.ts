/**
 * In Chromium: "Make template" on a stopped VM's page makes a new template, then the next
 * version of it, with the copy's progress in the page's task panel; on the Templates page a
 * version and then the whole template are deleted through confirmation dialogs that list what
 * goes, and their base volumes leave the pool (virsh in a lab host). Screenshots saved.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, type Api, uniqueName, waitTask } from '../support/api.ts';
import { clickMoreAction, launchChromium, logInPage } from '../support/browser.ts';
import { type LabHost, lab, virsh, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
const url = (path: string) => `${process.env.VIREO_TEST_URL}${path}`;
let browser: Browser;
let page: Page;
let api: Api;
const vms: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  ({ api } = await admin());
  await logInPage(page);
});
after(async () => {
  for (const vmId of vms) await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
  await browser?.close();
});

async function poolVolumes(): Promise<string[]> {
  const host = lab().hosts[0] as LabHost;
  await virsh(host, 'pool-refresh', 'default');
  return (await virsh(host, 'vol-list', '--pool', 'default')).stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

async function stoppedVm(): Promise<string> {
  const bios = (await api.template.list.query()).find((t) => t.name === 'vireo-tiny-bios');
  assert.ok(bios, 'the seeded template vireo-tiny-bios');
  const { taskId, vmId } = await api.vm.create.mutate({
    name: uniqueName('mkt'),
    templateId: bios.id,
    diskMode: 'linked',
    vcpus: 1,
    memoryMiB: 128,
    start: false,
  });
  vms.push(vmId);
  assert.equal((await waitTask(api, taskId, 120_000)).state, 'succeeded');
  return vmId;
}

const byName = async (name: string) => (await api.template.list.query()).find((t) => t.name === name);

/** Opens the dialog on the VM page, makes the template (or a version), waits for the task panel. */
async function makeFromPage(vmId: string, choose: { name: string } | { versionOf: string }, shot: string) {
  await page.goto(url(`/vms/${vmId}`));
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor();
  await clickMoreAction(page, 'vm-make-template');
  const dialog = page.getByTestId('make-template-dialog');
  await dialog.waitFor();
  if ('name' in choose) await dialog.getByTestId('make-template-name').fill(choose.name);
  else await dialog.getByTestId('make-template-target').selectOption({ label: choose.versionOf });
  await page.screenshot({ path: `${artifacts}/${shot}.png` });
  await dialog.getByTestId('make-template-submit').click();
  await dialog.waitFor({ state: 'detached' });
  // The copy is this VM's task: the panel follows it to the end.
  await page.locator('[data-testid="vm-task"][data-state="succeeded"]').waitFor({ timeout: 120_000 });
  assert.match(await page.getByTestId('vm-task').innerText(), /made from VM/);
}

test('Make template on a stopped VM page: a new template, then its next version', async () => {
  const vmId = await stoppedVm();
  const name = uniqueName('mkt-tpl');
  await makeFromPage(vmId, { name }, 'vm-make-template-dialog');
  const made = await byName(name);
  assert.ok(made, 'the template exists');
  assert.equal(made.versions.length, 1);
  await page.screenshot({ path: `${artifacts}/vm-make-template-done.png` });

  await makeFromPage(vmId, { versionOf: `version 2 of ${name}` }, 'vm-make-template-version');
  const after2 = await byName(name);
  assert.deepEqual(
    after2?.versions.map((v) => v.version),
    [2, 1],
  );
  const bases = after2?.versions.map((v) => v.disks[0]?.volume ?? '') ?? [];
  const inPool = await poolVolumes();
  for (const b of bases) assert.ok(inPool.includes(b), `${b} is in the pool`);

  // On the Templates page: version 2 goes through its dialog, which lists its base.
  await page.goto(url('/templates'));
  const section = page.getByTestId(`template-${name}`);
  const v2 = section.locator('[data-testid="template-version-row"][data-version="2"]');
  await v2.getByTestId('template-version-delete').click();
  const dialog = page.getByTestId('template-delete-dialog');
  assert.match(await dialog.getByTestId('template-delete-list').innerText(), new RegExp(bases[0] ?? 'none'));
  await page.screenshot({ path: `${artifacts}/template-delete-version.png` });
  await dialog.getByTestId('confirm-ok').click();
  await v2.waitFor({ state: 'detached', timeout: 60_000 });
  assert.deepEqual(
    (await byName(name))?.versions.map((v) => v.version),
    [1],
  );
  assert.ok(!(await poolVolumes()).includes(bases[0] ?? ''), 'version 2’s base left the pool');

  // A VM made from version 1 keeps the template: its delete button is disabled while it exists.
  const used = await api.vm.create.mutate({
    name: uniqueName('mkt-use'),
    templateId: made.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
  });
  assert.equal((await waitTask(api, used.taskId, 120_000)).state, 'succeeded');
  await section.getByTestId('template-version-vms').filter({ hasText: '1' }).waitFor({ timeout: 15_000 });
  assert.equal(await section.getByTestId('template-delete').isDisabled(), true);
  assert.match((await section.getByTestId('template-delete').getAttribute('title')) ?? '', /1 VM/);
  assert.equal((await waitTask(api, (await api.vm.delete.mutate({ vmId: used.vmId })).taskId)).state, 'succeeded');

  // Then the whole template goes: its name must be typed.
  await section.getByTestId('template-version-vms').filter({ hasText: '0' }).waitFor({ timeout: 15_000 });
  await section.getByTestId('template-delete').click();
  assert.match(await dialog.getByTestId('template-delete-list').innerText(), new RegExp(bases[1] ?? 'none'));
  assert.equal(await dialog.getByTestId('confirm-ok').isDisabled(), true, 'not before the name is typed');
  await dialog.getByTestId('confirm-input').fill(name);
  await page.screenshot({ path: `${artifacts}/template-delete.png` });
  await dialog.getByTestId('confirm-ok').click();
  await section.waitFor({ state: 'detached', timeout: 60_000 });
  assert.equal(await byName(name), undefined);
  await waitFor(
    'the last base gone from the pool',
    async () => !(await poolVolumes()).includes(bases[1] ?? ''),
    10_000,
  );
});
