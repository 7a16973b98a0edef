/**
 * In Chromium: create a VM from the form with a NIC on the cluster's `default` network and a
 * cloud-init seed (hostname, user + SSH key, user-data script); its page's Hardware section shows
 * the NIC's MAC and, live, the address the guest took by DHCP (the same the guest prints on its
 * serial line), and the guest shows the seed's hostname. Screenshots under vm-network/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, uniqueName, waitTask } from '../support/api.ts';
import { launchChromium, logInPage, openVmTab, openNewVmForm } from '../support/browser.ts';
import { lab, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/vm-network`;
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGVpcmVvLXRlc3Qta2V5LW5vdC1yZWFs vireo-test';
let browser: Browser;
let page: Page;
let vmId = '';

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
});
after(async () => {
  await browser?.close();
  if (!vmId) return;
  const { api } = await admin();
  const vm = await api.vm.byId.query({ vmId }).catch(() => null);
  if (vm?.state === 'running') await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
  if (vm) await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
});

test('the create form takes a cloud-init seed; the VM page shows the NIC MAC and its DHCP address live', async () => {
  await logInPage(page);
  await openNewVmForm(page);
  const name = uniqueName('netui');
  const hostname = `ui-${name.slice(-6).replace(/[^a-z0-9]/gi, 'x')}`;
  await page.getByTestId('vm-name').fill(name);
  await page.getByTestId('vm-memory').fill('128');
  await page.getByTestId('vm-extra-nic').check();
  await page.getByTestId('vm-nic-network').fill('vireo-default');
  await page.getByTestId('vm-nic-security-group').waitFor();
  await page.getByTestId('vm-cloud-init').check();
  await page.getByTestId('vm-ci-hostname').fill('bad host');
  await page.getByTestId('vm-create-submit').click();
  // Refused in the form with the API's own schema, before anything is sent.
  await page.getByTestId('field-error-cloudInit').waitFor();
  assert.match(await page.getByTestId('field-error-cloudInit').innerText(), /Hostname: .*RFC 1123/);
  await page.getByTestId('vm-ci-hostname').fill(hostname);
  await page.getByTestId('vm-ci-user').fill('demo');
  await page.getByTestId('vm-ci-ssh-key').fill(SSH_KEY);
  await page.getByTestId('vm-ci-user-data').fill('#!/bin/sh\necho from-the-form $(hostname)\n');
  await page.screenshot({ path: `${artifacts}/create-form.png`, fullPage: true });
  await page.getByTestId('vm-create-submit').click();
  // The form itself is /vms/new: wait for the VM's own page.
  await page.waitForURL((u) => /^\/vms\/(?!new$)[^/]+$/.test(u.pathname), { timeout: 60_000 });
  vmId = new URL(page.url()).pathname.split('/').pop() ?? '';
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 120_000 });

  const { api } = await admin();
  const vm = await api.vm.byId.query({ vmId });
  const log = `${lab().sharedDir}/vms/${vm.uuid}.serial.log`;
  const net = await waitFor(
    'the guest’s NET line',
    async () =>
      existsSync(log) && /VIREO GUEST \S+ NET eth0 (\S+) (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(readFileSync(log, 'utf8')),
    150_000,
    500,
  );
  // The Summary tab lists the VM's addresses too.
  await page.locator('[data-testid="vm-summary-addresses"]', { hasText: net[2] ?? 'x' }).waitFor({ timeout: 60_000 });
  await openVmTab(page, 'hardware');
  const section = page.getByTestId('vm-hardware');
  // The page polls the leases: the address appears without a reload.
  await section.locator('[data-testid="vm-nic-address"]', { hasText: net[2] ?? 'x' }).waitFor({ timeout: 60_000 });
  assert.equal(await section.getByTestId('vm-nic-mac').innerText(), net[1]);
  // The page names Vireo's network ("default"), not libvirt's ("vireo-default").
  assert.match(await section.getByTestId('vm-nic-row').innerText(), /(^|\s)default\s+none\s+\d+\.\d+\.\d+\.\d+\/24/);
  await section.screenshot({ path: `${artifacts}/hardware-section.png` });
  await page.screenshot({ path: `${artifacts}/vm-page.png`, fullPage: true });

  const serial = await waitFor(
    'the user-data output',
    async () => {
      const s = readFileSync(log, 'utf8');
      return s.includes('USERDATA from-the-form') && s;
    },
    60_000,
    500,
  );
  assert.match(serial, new RegExp(`CLOUDINIT hostname=${hostname}`));
  assert.match(serial, new RegExp(`USERDATA from-the-form ${hostname}`));
  assert.match(serial, /CLOUDCONFIG users=demo ssh-keys=1/);
});
