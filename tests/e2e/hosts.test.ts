/**
 * Hosts in Chromium: a host that is gone for good (offline, no VMs) is removed from the list
 * after its name is typed to confirm; hosts online offer no plain Remove. An online host with a
 * VM offers "Evacuate and remove…", whose confirmation lists the VM and says what happens.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ENROLL_PATH } from '@vireo/protocol';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, createTestVm, removeVms } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { lab } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/hosts`;
let browser: Browser;
let page: Page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(page);
});

after(async () => {
  await browser?.close();
});

test('remove a dead host: confirmed by its name, gone from the list; live hosts offer no Remove', async () => {
  const { api } = await admin();
  // A machine that enrolled and never came back.
  const { token } = await api.host.createEnrollmentToken.mutate();
  const name = `gone-${randomUUID().slice(0, 8)}`;
  const res = await fetch(`${baseUrl()}${ENROLL_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostUuid: randomUUID(), hostname: name }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { hostId } = (await res.json()) as { hostId: string };

  await page.goto(`${baseUrl()}/hosts`);
  const row = page.locator(`[data-testid="host-row"][data-name="${name}"]`);
  await row.waitFor();
  for (const h of lab().hosts) {
    const live = page.locator(`[data-testid="host-row"][data-name="${h.name}"]`);
    await live.waitFor();
    assert.equal(await live.getByRole('button', { name: 'Remove', exact: true }).count(), 0, `${h.name} is online`);
  }
  await page.screenshot({ path: `${artifacts}/hosts-with-dead-host.png` });

  await row.getByRole('button', { name: 'Remove', exact: true }).click();
  const dialog = page.getByTestId('remove-host-dialog');
  await dialog.waitFor();
  const ok = page.getByTestId('confirm-ok');
  assert.ok(await ok.isDisabled(), 'confirm waits for the name');
  await dialog.locator('input').fill(name);
  await ok.click();
  await row.waitFor({ state: 'detached', timeout: 10_000 });
  assert.ok(!(await api.host.list.query()).some((h) => h.id === hostId), 'the server no longer lists it');
});

test('an online host with a VM: Evacuate and remove lists the VM and says what happens; cancelled, nothing changes', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'evacui', { start: false });
  try {
    await page.goto(`${baseUrl()}/hosts`);
    const row = page.locator(`[data-testid="host-row"][data-name="${vm.hostName}"]`);
    await row.getByRole('button', { name: 'Evacuate and remove…' }).click();
    const dialog = page.getByTestId('remove-host-dialog');
    await dialog.getByTestId('remove-host-vms').getByText(vm.name).waitFor({ timeout: 10_000 });
    assert.match(await dialog.innerText(), /Maintenance moves each VM to another host/);
    await page.screenshot({ path: `${artifacts}/hosts-evacuate-dialog.png` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await api.host.list.query()).find((h) => h.id === vm.hostId)?.maintenance, 'none');
  } finally {
    await removeVms(api, [vmId]);
  }
});
