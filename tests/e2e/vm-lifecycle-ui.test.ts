/**
 * In Chromium, on a VM's page: pause and resume with the buttons (libvirt agrees, the state pill
 * follows the live stream without a reload), then delete: the confirmation lists the VM's own
 * volume among what goes, moves it to what stays when "Also delete its disk" is unticked, and the
 * delete keeps it. Screenshots of the page and the dialog are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, defaultTemplate, uniqueName, waitTask } from '../support/api.ts';
import { clickMoreAction, launchChromium, logInPage } from '../support/browser.ts';
import { ensureDefaultPool, poolVolumes } from '../support/hardware-fixtures.ts';
import { domState, hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  for (const host of lab().hosts) await ensureDefaultPool(host);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});
after(async () => browser?.close());

test('pause/resume from the VM page; delete lists the disks and can keep them', async () => {
  const { api } = await admin();
  const template = await defaultTemplate(api);
  const { taskId, vmId } = await api.vm.create.mutate({
    name: uniqueName('lcui'),
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: true,
    disks: [{ bus: 'virtio', source: { kind: 'blank', sizeBytes: 16 * 1024 * 1024 } }],
  });
  const created = await waitTask(api, taskId, 120_000);
  assert.equal(created.state, 'succeeded', created.errorMessage ?? '');
  const vm = await api.vm.byId.query({ vmId });
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  const volume = `${vm.uuid}-disk1.qcow2`;

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}`);
  const pill = (text: string) => page.locator('[data-testid="vm-state"]', { hasText: text });
  await pill('running').waitFor({ timeout: 60_000 });

  // Keyboard: Enter on "More" opens it with focus on its first usable item (Pause); Enter again.
  await page.getByTestId('vm-more').focus();
  await page.keyboard.press('Enter');
  await waitFor(
    'focus on Pause',
    async () => (await page.evaluate('document.activeElement?.dataset?.testid')) === 'vm-pause',
    5_000,
    100,
  );
  await page.keyboard.press('Enter');
  await pill('paused').waitFor({ timeout: 60_000 });
  assert.equal(await domState(host, vm.uuid), 'paused');
  await page.screenshot({ path: `${artifacts}/vm-lifecycle-paused.png` });
  await clickMoreAction(page, 'vm-resume');
  await pill('running').waitFor({ timeout: 60_000 });
  assert.equal(await domState(host, vm.uuid), 'running');

  // Paused behind Vireo's back: the page follows libvirt's event, no reload.
  assert.equal((await virsh(host, 'suspend', vm.uuid)).code, 0);
  await pill('paused').waitFor({ timeout: 15_000 });
  await clickMoreAction(page, 'vm-resume');
  await pill('running').waitFor({ timeout: 60_000 });

  await clickMoreAction(page, 'vm-forceoff');
  await page.getByTestId('confirm-ok').click();
  await pill('shutoff').waitFor({ timeout: 60_000 });

  await clickMoreAction(page, 'vm-delete');
  const dialog = page.getByTestId('delete-dialog');
  const goes = dialog.getByTestId('delete-goes');
  const stays = dialog.getByTestId('delete-stays');
  await goes.locator('li', { hasText: volume }).waitFor({ timeout: 15_000 });
  assert.match(await goes.innerText(), /Disk overlay/);
  assert.match(await stays.innerText(), new RegExp(`Template ${template.name}`));
  assert.doesNotMatch(await stays.innerText(), new RegExp(volume));
  await dialog.getByTestId('delete-with-disks').uncheck();
  await stays.locator('li', { hasText: volume }).waitFor();
  assert.doesNotMatch(await goes.innerText(), new RegExp(volume));
  await dialog.getByTestId('confirm-input').fill(vm.name);
  await page.screenshot({ path: `${artifacts}/vm-lifecycle-delete-dialog.png` });
  await dialog.getByTestId('confirm-ok').click();

  await page.getByTestId('vm-not-found').waitFor({ timeout: 60_000 });
  await waitFor('the domain gone from libvirt', async () => (await domState(host, vm.uuid)) === null, 30_000, 250);
  assert.ok((await poolVolumes(host)).includes(volume), 'the unticked disk was kept');
  await virsh(host, 'vol-delete', '--pool', 'default', volume);
});
