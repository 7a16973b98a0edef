/**
 * In Chromium: an admin makes an anti-affinity group on the Affinity page, creates a VM in it
 * with the create form, and the VM page's "Why here?" shows the decision: the chosen host with
 * its score and the other host left out because the group's first member runs there. A non-admin
 * sees no "Why here?". Screenshots of the popover and the Affinity page are saved as artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, createTestVm, loginAs, removeVms, uniqueName, waitTask } from '../support/api.ts';
import { launchChromium, logInPage, openNewVmForm } from '../support/browser.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e/placement`;
let browser: Browser;
let page: Page;
const made: string[] = [];
let groupId = '';

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await logInPage(page);
});
after(async () => {
  await browser?.close();
  const { api } = await admin();
  await removeVms(api, made);
  if (groupId) await api.affinity.delete.mutate({ groupId }).catch(() => {});
});

test('an anti-affinity group made on the Affinity page steers the create form, and "Why here?" says so', async () => {
  const { api } = await admin();
  const groupName = uniqueName('apart');
  await page.goto(`${baseUrl()}/affinity`);
  await page.getByTestId('affinity-name').fill(groupName);
  await page.getByTestId('affinity-kind').selectOption('anti-affinity');
  await page.getByTestId('affinity-create').click();
  const row = page.locator(`[data-testid="affinity-row"][data-name="${groupName}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /apart\s+hard/);
  groupId = (await api.affinity.list.query()).find((g) => g.name === groupName)?.id ?? '';
  assert.ok(groupId, 'the group exists in the API');

  // The first member, by name on the page.
  const first = await createTestVm(api, 'apart1', { start: false });
  made.push(first.vmId);
  await page.screenshot({ path: `${artifacts}/affinity-new.png` });
  await row.getByTestId('affinity-add-name').fill(first.vm.name);
  await row.getByRole('button', { name: 'Add', exact: true }).click();
  await row.locator('[data-testid="affinity-member"]', { hasText: first.vm.name }).waitFor();

  // The second, with the create form's group select.
  await openNewVmForm(page);
  await page.getByTestId('vm-name').fill(uniqueName('apart2'));
  await page.getByTestId('vm-memory').fill('128');
  await page.getByTestId('vm-start-after').uncheck();
  await page.getByTestId('vm-affinity-group').selectOption(groupId);
  await page.getByTestId('vm-affinity-group').screenshot({ path: `${artifacts}/create-form-group.png` });
  await page.getByTestId('vm-create-submit').click();
  await page.waitForURL((u) => /^\/vms\/(?!new$)[^/]+$/.test(u.pathname), { timeout: 30_000 });
  const vmId = new URL(page.url()).pathname.split('/').pop() ?? '';
  made.push(vmId);
  await page.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 90_000 });
  const second = await api.vm.byId.query({ vmId });
  assert.ok(second.hostName && first.vm.hostName);
  assert.notEqual(second.hostId, first.vm.hostId, 'the form’s group kept them apart');

  await page.getByTestId('why-here').click();
  const popover = page.getByTestId('why-here-popover');
  await popover.getByTestId('why-host').first().waitFor();
  assert.equal(
    await popover.getByTestId('why-host').count(),
    (await api.host.list.query()).length,
    'every host is explained',
  );
  const chosen = popover.locator('[data-testid="why-host"][data-chosen="true"]');
  assert.equal(await chosen.getAttribute('data-host'), second.hostName);
  assert.match(await chosen.innerText(), /score \d+.*memory [+]?\d/s);
  const other = popover.locator(`[data-testid="why-host"][data-host="${first.vm.hostName}"]`);
  assert.match(
    await other.innerText(),
    new RegExp(`excluded[\\s\\S]*affinity: anti-affinity group ${groupName}: ${first.vm.name} runs here`),
  );
  await page.screenshot({ path: `${artifacts}/why-here.png` });
  await page.keyboard.press('Escape');
  await popover.waitFor({ state: 'detached' });

  await page.goto(`${baseUrl()}/affinity`);
  await row.locator('[data-testid="affinity-member"]', { hasText: second.name }).waitFor();
  // A VM-to-host rule: ticking a host keeps the group's VMs off it.
  // The box follows the saved rule (ticked once the API has it), so a click, not check().
  const box = `[data-testid="affinity-host"][data-host="${first.vm.hostName}"]`;
  await row.locator(box).click();
  await row.locator(`${box}:checked`).waitFor();
  await row.getByTestId('affinity-hosts').getByText('never these:').waitFor();
  const withHost = (await api.affinity.list.query()).find((g) => g.id === groupId);
  assert.deepEqual(
    withHost?.hosts.map((h) => h.hostName),
    [first.vm.hostName],
  );
  await page.screenshot({ path: `${artifacts}/affinity-page.png` });
});

test('a non-admin sees no "Why here?" on their own VM', async () => {
  const { api } = await admin();
  const username = uniqueName('pl')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  await api.user.create.mutate({ username, password: 'placement-pw-1', role: 'user' });
  const userPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await logInPage(userPage, username, 'placement-pw-1');
  const user = await loginAs(username, 'placement-pw-1');
  const template = (await user.api.template.list.query()).find((t) => t.name === 'vireo-tiny');
  assert.ok(template);
  const created = await user.api.vm.create.mutate({
    name: uniqueName('plu'),
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
  });
  made.push(created.vmId);
  assert.equal((await waitTask(api, created.taskId)).state, 'succeeded');
  await userPage.goto(`${baseUrl()}/vms/${created.vmId}`);
  await userPage.getByTestId('vm-details').waitFor();
  await userPage.locator('[data-testid="vm-state"]', { hasText: 'shutoff' }).waitFor({ timeout: 30_000 });
  assert.equal(await userPage.getByTestId('why-here').count(), 0);
  await userPage.close();
});
