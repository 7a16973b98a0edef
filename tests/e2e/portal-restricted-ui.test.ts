/**
 * Restricted templates end to end (issue 10), in Chromium against the real stack: an
 * administrator marks a template restricted on the Templates page; in the portal a project
 * member sees it as "Needs approval" and its create becomes a request (no VM is made); the
 * administrator approves it in the queue and the VM then runs in libvirt on a lab host.
 * Screenshots are saved for a person to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, listAllVms, removeVms, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { domState, hostOfDomain, waitFor } from '../support/lab.ts';
import { closeProjectsDb, copyOfDefaultTemplate, removeTemplate } from '../support/projects.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/portal`;
const password = 'restricted-test-pw-1';
let root: Awaited<ReturnType<typeof admin>>;
let browser: Browser;
let adminPage: Page;
let memberPage: Page;
let projectId = '';
let memberId = '';
let template: { id: string; name: string };
const made: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  root = await admin();
  const { api } = root;
  projectId = (await api.project.create.mutate({ name: uniqueName('prestr').toLowerCase(), description: '' })).id;
  const username = uniqueName('rmember').toLowerCase();
  memberId = (await api.user.create.mutate({ username, password, role: 'user' })).id;
  await api.project.grant.mutate({ projectId, userId: memberId, role: 'member' });
  template = await copyOfDefaultTemplate('restricted');
  await api.project.publish.mutate({ projectId, objectKind: 'template', objectId: template.id });
  browser = await launchChromium();
  adminPage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(adminPage);
  memberPage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(memberPage, username, password);
});

after(async () => {
  await browser?.close();
  const { api } = root;
  await removeVms(api, made);
  for (const r of await api.vmRequest.queue.query({}).catch(() => [])) {
    if (r.projectId === projectId && r.state === 'pending')
      await api.vmRequest.reject.mutate({ id: r.id, note: 'test over' }).catch(() => {});
  }
  if (template) await removeTemplate(template.id);
  if (projectId) await api.project.remove.mutate({ projectId }).catch(() => {});
  const me = (await api.auth.me.query())?.id ?? '';
  if (memberId) await api.user.delete.mutate({ userId: memberId, newOwnerId: me }).catch(() => {});
  await closeProjectsDb();
});

test('admin marks a template restricted; the member’s create becomes a request; approved, the VM runs', async () => {
  // The administrator restricts the template on the Templates page.
  await adminPage.goto(`${baseUrl()}/templates`);
  const section = adminPage.getByTestId(`template-${template.name}`);
  await section.waitFor();
  const toggle = section.getByTestId('template-restricted');
  await waitFor('the restricted switch', async () => await toggle.isEnabled(), 30_000, 250);
  assert.equal(await toggle.isChecked(), false);
  await toggle.click(); // controlled by the server's answer: checked once it is saved
  await section.getByTestId('template-restricted-badge').waitFor();
  assert.equal(await toggle.isChecked(), true);
  assert.deepEqual(
    (await root.api.quota.restrictedTemplates.query()).filter((id) => id === template.id),
    [template.id],
    'the switch reached the manager',
  );
  await section.screenshot({ path: `${artifacts}/template-restricted.png` });

  // The member: the template needs approval, and the form sends a request.
  await memberPage.goto(`${baseUrl()}/portal/new`);
  const choice = memberPage.getByTestId(`portal-template-${template.name}`);
  await choice.waitFor();
  assert.equal(await choice.getByTestId('portal-badge').innerText(), 'Needs approval');
  await choice.click();
  await memberPage.getByTestId('portal-needs-approval').waitFor();
  assert.equal(await memberPage.getByTestId('portal-create-submit').innerText(), 'Submit request');
  const vmName = uniqueName('prst');
  await memberPage.getByTestId('portal-create-name').fill(vmName);
  await memberPage.screenshot({ path: `${artifacts}/portal-restricted-template.png` });
  await memberPage.getByTestId('portal-create-submit').click();
  await memberPage.waitForURL(/\/portal\/requests/);
  await memberPage.getByTestId('request-submitted').waitFor();
  assert.ok(!(await listAllVms(root.api)).some((v) => v.name === vmName), 'no VM before the approval');

  // The approver's queue names the reason; approving makes the VM.
  await adminPage.getByTestId('nav-requests').click();
  const row = adminPage.getByTestId('queue-row').filter({ hasText: vmName });
  await row.waitFor();
  assert.match(await row.innerText(), /restricted template/);
  await adminPage.screenshot({ path: `${artifacts}/restricted-request-queue.png`, fullPage: true });
  await row.getByTestId('queue-note').fill('fine');
  await row.getByTestId('queue-approve').click();
  await waitFor('approved', async () => (await row.getByTestId('request-state').innerText()) === 'approved', 30_000);

  const [request] = (await root.api.vmRequest.queue.query({ state: 'approved' })).filter((r) => r.vmName === vmName);
  assert.ok(request?.vmId, 'the approval made a VM');
  made.push(request.vmId);
  const vm = await waitFor(
    'the approved VM running',
    async () => {
      const v = await root.api.vm.byId.query({ vmId: request.vmId ?? '' });
      return v.state === 'running' && v;
    },
    90_000,
  );
  assert.equal(vm.projectId, projectId);
  assert.equal(vm.ownerId, memberId, 'the requester owns the VM');
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'libvirt has the domain on a lab host');
  assert.equal(await domState(host, vm.uuid), 'running');
});
