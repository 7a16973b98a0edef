/**
 * In Chromium, on a VM's page: "Add NIC" hot-adds a NIC on the host's Vireo network (libvirt's
 * live domain gets its MAC, the NIC table a row) and Remove, once confirmed, takes it out. On the
 * stopped VM "Add CD-ROM drive" adds an empty drive; "Insert…" puts an ISO of the default pool
 * into it and "Eject" empties it again, each checked in libvirt. Screenshots are artifacts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, createTestVm, waitTask } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { ensureDefaultPool, poolDir } from '../support/hardware-fixtures.ts';
import { hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
let browser: Browser;
let page: Page;
const made: string[] = [];
const iso = `nic-ui-${process.pid}.iso`;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  for (const host of lab().hosts) await ensureDefaultPool(host);
  const src = mkdtempSync(join(tmpdir(), 'vireo-iso-'));
  writeFileSync(join(src, 'readme.txt'), 'vireo\n');
  execFileSync('genisoimage', ['-quiet', '-R', '-o', join(poolDir(), iso), src]);
  rmSync(src, { recursive: true });
  for (const host of lab().hosts) await virsh(host, 'pool-refresh', 'default');
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});
after(async () => {
  await browser?.close();
  const { api } = await admin();
  for (const vmId of made) {
    const vm = await api.vm.byId.query({ vmId }).catch(() => null);
    if (!vm) continue;
    if (vm.state !== 'shutoff') await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
  }
  rmSync(join(poolDir(), iso), { force: true });
});

test('Add NIC / Remove and CD-ROM Add drive / Insert… / Eject from the VM page', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'nicui');
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);

  await logInPage(page);
  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vmId}?tab=hardware`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  const submit = page.getByTestId('vm-add-nic-submit');
  await waitFor('Add NIC enabled', async () => await submit.isEnabled(), 30_000, 250);
  // Admins choose among the Vireo networks on the VM's host: every cluster has `default`.
  const network = await page.getByTestId('vm-add-nic-network').inputValue();
  assert.equal(network, 'vireo-default');
  await submit.click();
  const rows = page.getByTestId('vm-nic-row');
  await rows.first().waitFor({ timeout: 60_000 });
  const mac = ((await rows.first().getByTestId('vm-nic-mac').textContent()) ?? '').trim();
  assert.match(mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
  await waitFor(
    'the NIC in libvirt',
    async () => (await virsh(host, 'domiflist', vm.uuid)).stdout.includes(mac),
    30_000,
    500,
  );
  await page.getByTestId('vm-hardware').screenshot({ path: `${artifacts}/vm-nic-added.png` });

  await rows.first().getByTestId('vm-nic-remove').click();
  const confirm = page.getByTestId('vm-nic-remove-confirm');
  await confirm.waitFor();
  assert.match((await confirm.textContent()) ?? '', new RegExp(mac));
  await page.screenshot({ path: `${artifacts}/vm-nic-remove-confirm.png` });
  await confirm.getByTestId('confirm-ok').click();
  await waitFor('the NIC row gone', async () => (await rows.count()) === 0, 90_000, 250);
  assert.ok(!(await virsh(host, 'domiflist', vm.uuid)).stdout.includes(mac));

  // CD-ROM: a drive is added to the stopped VM, then media go in and out while it runs.
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
  const addCd = page.getByTestId('vm-add-cdrom-submit');
  await waitFor('Add CD-ROM drive enabled', async () => await addCd.isEnabled(), 30_000, 250);
  await addCd.click();
  const cdRow = page.getByTestId('vm-disk-row').filter({ hasText: 'CD-ROM' });
  await cdRow.waitFor({ timeout: 60_000 });
  assert.match((await cdRow.textContent()) ?? '', /empty/);
  await waitTask(api, (await api.vm.start.mutate({ vmId })).taskId);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });

  await cdRow.getByTestId('vm-cdrom-insert').click();
  const dialog = page.getByTestId('vm-cdrom-insert-dialog');
  await dialog.getByTestId('vm-cdrom-iso').selectOption(`default/${iso}`);
  await page.screenshot({ path: `${artifacts}/vm-cdrom-insert.png` });
  await dialog.getByTestId('vm-cdrom-insert-ok').click();
  await waitFor('the ISO in the row', async () => ((await cdRow.textContent()) ?? '').includes(iso), 60_000, 250);
  assert.ok((await virsh(host, 'domblklist', vm.uuid)).stdout.includes(iso), 'libvirt has the medium');
  await page.getByTestId('vm-hardware').screenshot({ path: `${artifacts}/vm-cdrom-inserted.png` });

  await cdRow.getByTestId('vm-cdrom-eject').click();
  await waitFor('the row empty again', async () => /empty/.test((await cdRow.textContent()) ?? ''), 60_000, 250);
  assert.ok(!(await virsh(host, 'domblklist', vm.uuid)).stdout.includes(iso), 'libvirt ejected it');
});
