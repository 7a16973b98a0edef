/**
 * The self-service portal as a project member (issue 10), in Chromium against the real stack:
 * My VMs with the project's quota, a new VM from a published template and a flavor (it runs in
 * libvirt on a lab host), its page with power actions, console and snapshots, and no host name
 * anywhere; over the quota the same form becomes a request for the project's approvers.
 * Screenshots are saved for a person to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, defaultTemplate, removeVms, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { domState, hostOfDomain, lab, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/portal`;
const password = 'portal-test-pw-1';
let root: Awaited<ReturnType<typeof admin>>;
let browser: Browser;
let page: Page;
let projectId = '';
let memberId = '';
const made: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  root = await admin();
  const { api } = root;
  const project = await api.project.create.mutate({
    name: uniqueName('portal').toLowerCase(),
    description: 'Self-service test project',
    quota: { Vms: 1, Vcpus: 2, MemoryMiB: 1024 },
  });
  projectId = project.id;
  const username = uniqueName('member').toLowerCase();
  memberId = (await api.user.create.mutate({ username, password, role: 'user' })).id;
  await api.project.grant.mutate({ projectId, userId: memberId, role: 'member' });
  const template = await defaultTemplate(api);
  await api.project.publish.mutate({ projectId, objectKind: 'template', objectId: template.id });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(page, username, password);
});

after(async () => {
  await browser?.close();
  const { api } = root;
  await removeVms(api, made);
  for (const r of await api.vmRequest.queue.query({}).catch(() => [])) {
    if (r.projectId === projectId && r.state === 'pending')
      await api.vmRequest.reject.mutate({ id: r.id, note: 'test over' }).catch(() => {});
  }
  if (projectId) await api.project.remove.mutate({ projectId }).catch(() => {});
  const me = (await api.auth.me.query())?.id ?? '';
  if (memberId) await api.user.delete.mutate({ userId: memberId, newOwnerId: me }).catch(() => {});
});

/** No lab host's name is shown to a member. */
async function assertNoHostNames(where: string): Promise<void> {
  const text = await page.locator('body').innerText();
  for (const h of lab().hosts) assert.ok(!text.includes(h.name), `${where}: the page names host ${h.name}`);
}

test('a member creates a VM in the portal from a published template and a flavor; it runs on a lab host', async () => {
  await page.goto(`${baseUrl()}/portal`);
  await page.getByTestId('portal-vm-table').waitFor();
  await page.getByTestId('quota-Vms').first().waitFor();
  await page.screenshot({ path: `${artifacts}/portal-empty.png` });

  await page.getByTestId('portal-new-vm').click();
  await page.getByTestId('portal-create-form').waitFor();
  await page.getByTestId('portal-flavor-Small').click();
  // The quota panel shows what this VM adds before anything is sent.
  assert.match(await page.getByTestId('quota-Vcpus').innerText(), /0\s*\+\s*1\s*\/\s*2/);
  const name = uniqueName('pvm');
  await page.getByTestId('portal-create-name').fill(name);
  await page.screenshot({ path: `${artifacts}/portal-new.png` });
  await page.getByTestId('portal-create-submit').click();
  await page.waitForURL(/\/portal\/vms\//);
  const vmId = page.url().split('/portal/vms/')[1]?.split(/[?#]/)[0] ?? '';
  assert.ok(vmId, 'the portal opened the new VM');
  made.push(vmId);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 90_000 });

  const vm = await root.api.vm.byId.query({ vmId });
  assert.equal(vm.projectId, projectId, 'the VM is in the member’s project');
  assert.equal(vm.memoryMiB, 256, 'the Small flavor’s memory');
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'libvirt has the domain on a lab host');
  assert.equal(await domState(host, vm.uuid), 'running');
  await assertNoHostNames('the VM page');
  await page.screenshot({ path: `${artifacts}/portal-vm.png` });

  await page.getByTestId('portal-tab-console').click();
  await page.locator('[data-testid="portal-panel-console"] canvas').first().waitFor({ timeout: 30_000 });
  await page.getByTestId('portal-tab-snapshots').click();
  await page.getByTestId('portal-panel-snapshots').waitFor();
  await page.screenshot({ path: `${artifacts}/portal-vm-snapshots.png` });

  await page.getByTestId('portal-nav-vms').click();
  await page.getByTestId(`portal-vm-${name}`).waitFor();
  await waitFor('the VM listed running', async () =>
    /running/.test(await page.getByTestId(`portal-vm-${name}`).innerText()),
  );
  assert.match(await page.getByTestId('quota-Vms').first().innerText(), /1\s*\/\s*1/);
  await assertNoHostNames('My VMs');
  await page.screenshot({ path: `${artifacts}/portal-list.png` });
});

test('over the quota the portal sends a request instead, which the member sees pending', async () => {
  await page.goto(`${baseUrl()}/portal/new`);
  await page.getByTestId('portal-flavor-Small').click();
  await page.getByTestId('portal-over-quota').waitFor();
  assert.equal(await page.getByTestId('quota-Vms').getAttribute('data-over'), 'true');
  assert.match(await page.getByTestId('portal-create-submit').innerText(), /Submit request/);
  await page.getByTestId('portal-create-name').fill(uniqueName('preq'));
  await page.screenshot({ path: `${artifacts}/portal-over-quota.png` });
  await page.getByTestId('portal-create-submit').click();
  await page.waitForURL(/\/portal\/requests/);
  await page.getByTestId('request-submitted').waitFor();
  await page.screenshot({ path: `${artifacts}/portal-requests.png` });
  const queue = await root.api.vmRequest.queue.query({});
  assert.ok(
    queue.some((r) => r.projectId === projectId && r.state === 'pending'),
    'the admin’s queue holds the member’s request',
  );
  // Nothing was made in libvirt for it: the project still has its one VM.
  assert.equal((await root.api.vm.list.query({ projectId, limit: 10 })).total, 1);
});

test('on a phone (390 px) the portal list, VM page and form stay readable', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${baseUrl()}/portal`);
  await page.getByTestId('portal-vm-table').waitFor();
  await page.screenshot({ path: `${artifacts}/phone-list.png`, fullPage: true });
  const vmId = made[0] ?? '';
  await page.goto(`${baseUrl()}/portal/vms/${vmId}`);
  await page.getByTestId('vm-name-heading').waitFor();
  await page.screenshot({ path: `${artifacts}/phone-vm.png`, fullPage: true });
  await page.goto(`${baseUrl()}/portal/new`);
  await page.getByTestId('portal-create-form').waitFor();
  await page.screenshot({ path: `${artifacts}/phone-new.png`, fullPage: true });
  // Nothing is pushed off the side: the page is no wider than the phone.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the portal fits 390 px (scroll width ${width})`);
});
