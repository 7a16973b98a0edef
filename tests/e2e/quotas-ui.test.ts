/**
 * Quotas and approvals in Chromium (issue 10): a member's create dialog shows the project's
 * usage with what the VM adds, red past the quota, and then offers a request instead of a
 * create; the project's owner sees it in the queue (cost and usage) but is told only an
 * administrator may approve past the quota; the administrator's first approval fails (the name
 * was taken meanwhile) and the queue shows why; the second makes it; the member sees the approval
 * with the note and opens the VM it made. Screenshots of each step are saved.
 * The project and its members are written into the stack's database (tests/support/projects.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, defaultTemplate, removeVms, uniqueName } from '../support/api.ts';
import { waitFor } from '../support/lab.ts';
import { launchChromium, logInPage, openNewVmForm } from '../support/browser.ts';
import { closeProjectsDb, grantOnProject, makeProject, removeProject } from '../support/projects.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/quotas`;
let browser: Browser;
let root: Awaited<ReturnType<typeof admin>>;
let projectId: string;
let projectName: string;
const made: string[] = [];
const password = 'quota-ui-password-1';

async function newUser(): Promise<string> {
  const username = uniqueName('qui').toLowerCase();
  await root.api.user.create.mutate({ username, password, role: 'user' });
  return username;
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  root = await admin();
  const project = await makeProject('qui', { Vms: 2, Vcpus: 2, MemoryMiB: 1024, DiskGiB: 100 });
  projectId = project.id;
  projectName = project.name;
  browser = await launchChromium();
});

after(async () => {
  await removeVms(root.api, made);
  await removeProject(projectId).catch(() => {});
  await closeProjectsDb();
  await browser?.close();
});

async function userPage(username: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await logInPage(page, username, password);
  return page;
}

test('create dialog shows usage; over quota it becomes a request; an administrator approves; the member gets the VM', async () => {
  const memberName = await newUser();
  const ownerName = await newUser();
  const users = await root.api.user.list.query();
  const idOf = (n: string) => users.find((u) => u.username === n)?.id ?? '';
  await grantOnProject(idOf(memberName), 'member', projectId);
  await grantOnProject(idOf(ownerName), 'owner', projectId);
  const template = await defaultTemplate(root.api);

  const member = await userPage(memberName);
  await openNewVmForm(member);
  const vmName = uniqueName('qui-vm');
  await member.getByTestId('vm-name').fill(vmName);
  await member.getByTestId('vm-template').selectOption(template.id);
  await member.getByTestId('vm-project').selectOption(projectId);
  await member.getByTestId('vm-vcpus').fill('1');
  await member.getByTestId('vm-memory').fill('256');
  await member.getByTestId('vm-start-after').uncheck();
  const usage = member.getByTestId('vm-project-usage');
  await usage.waitFor();
  // Within the quota: used + this VM / limit, nothing red, a plain create.
  const figure = (kind: string) => usage.getByTestId(`quota-${kind}`).getByTestId('quota-figure').innerText();
  assert.equal(await figure('Vcpus'), '0 + 1 / 2');
  assert.equal(await figure('MemoryMiB'), '0 + 256 / 1024');
  assert.equal(await figure('Vms'), '0 + 1 / 2');
  // The template's disk counts, as the server will charge it (read by a host; lab quotas test
  // checks that figure against qemu-img).
  const { bytes } = await root.api.quota.templateDisk.query({ templateId: template.id });
  const diskGiB = Math.ceil(bytes / 1024 ** 3);
  assert.ok(diskGiB >= 1, 'the seeded template has a disk');
  await waitFor(
    'the disk bar to count the template disk',
    async () => (await figure('DiskGiB')) === `0 + ${diskGiB} / 100`,
  );
  assert.equal(await usage.locator('[data-over="true"]').count(), 0);
  assert.equal(await member.getByTestId('vm-create-submit').innerText(), 'Create VM');
  await member.screenshot({ path: `${artifacts}/create-within-quota.png`, fullPage: true });

  // 3 vCPUs pass the limit of 2: that row turns red and the button submits a request.
  await member.getByTestId('vm-vcpus').fill('3');
  await usage.locator('[data-over="true"]').first().waitFor();
  assert.equal(await usage.locator('[data-over="true"]').count(), 1);
  assert.equal(await usage.getByTestId('quota-Vcpus').getAttribute('data-over'), 'true');
  await member.getByTestId('vm-needs-approval').waitFor();
  assert.equal(await member.getByTestId('vm-create-submit').innerText(), 'Submit request');
  await member.screenshot({ path: `${artifacts}/create-over-quota.png`, fullPage: true });
  await member.getByTestId('vm-create-submit').click();
  await member.getByTestId('request-submitted').waitFor();
  const mine = member.getByTestId('mine-row').filter({ hasText: vmName });
  assert.equal(await mine.getByTestId('request-state').innerText(), 'pending');
  await member.screenshot({ path: `${artifacts}/requests-pending.png`, fullPage: true });

  // The owner's queue: requester, project, cost and usage; past the quota it may not approve.
  const owner = await userPage(ownerName);
  await owner.getByTestId('nav-requests').click();
  const row = owner.getByTestId('queue-row').filter({ hasText: vmName });
  await row.waitFor();
  const rowText = await row.innerText();
  assert.match(rowText, new RegExp(memberName));
  assert.match(rowText, new RegExp(projectName));
  assert.match(rowText, /3 vCPU · 256 MiB/);
  assert.equal(await row.getByTestId('quota-Vcpus').getAttribute('data-over'), 'true');
  assert.match(await row.getByTestId('queue-approve-blocked').innerText(), /only an administrator may approve it/);
  assert.equal(await row.getByTestId('queue-approve').count(), 0, 'no button that would fail');
  await owner.screenshot({ path: `${artifacts}/approval-queue.png`, fullPage: true });

  // The administrator approves; the first try fails (the name was taken meanwhile) and the row,
  // back in pending, shows why; freed, the second try makes the VM.
  const blocker = await root.api.vm.create.mutate({ name: vmName, templateId: template.id, vcpus: 1, memoryMiB: 128 });
  made.push(blocker.vmId);
  const adminPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await logInPage(adminPage);
  await adminPage.getByTestId('nav-requests').click();
  const adminRow = adminPage.getByTestId('queue-row').filter({ hasText: vmName });
  await adminRow.getByTestId('queue-note').fill('ok for the sprint');
  await adminRow.getByTestId('queue-approve').click();
  const failure = adminRow.getByTestId('queue-last-failure');
  await failure.waitFor();
  assert.match(await failure.innerText(), /^Approval by admin failed: .*already exists/);
  await adminPage.screenshot({ path: `${artifacts}/approval-failed.png`, fullPage: true });
  await removeVms(root.api, [blocker.vmId]);
  await adminRow.getByTestId('queue-approve').click();
  await adminRow.getByTestId('request-state').waitFor();
  assert.equal(await adminRow.getByTestId('request-state').innerText(), 'approved');

  // The member sees the answer and opens the VM the approval made.
  const [request] = (await root.api.vmRequest.queue.query({ state: 'approved' })).filter((r) => r.vmName === vmName);
  assert.ok(request?.vmId, 'the approval made a VM');
  made.push(request.vmId);
  await member.reload();
  const answered = member.getByTestId('mine-row').filter({ hasText: vmName });
  await answered.getByTestId('request-vm-link').waitFor();
  assert.equal(await answered.getByTestId('request-state').innerText(), 'approved');
  assert.match(await answered.getByTestId('request-note').innerText(), /^ok for the sprint \(approved over quota/);
  // The member's quota panel counts the approved VM (over the limit, in red).
  const panel = member.getByTestId('my-projects').getByTestId('quota-panel');
  assert.match(await panel.getByTestId('quota-Vcpus').getByTestId('quota-figure').innerText(), /^3 \/ 2$/);
  await member.screenshot({ path: `${artifacts}/requests-approved.png`, fullPage: true });
  const vm = await waitFor(
    'the approved VM to be created',
    async () => {
      const v = await root.api.vm.byId.query({ vmId: request.vmId ?? '' });
      return v.state === 'shutoff' && v;
    },
    90_000,
  );
  assert.equal(vm.name, vmName);
  assert.equal(vm.vcpus, 3);
  await answered.getByTestId('request-vm-link').click();
  await member.waitForURL(new RegExp(`/vms/${request.vmId}`));
  await member.getByText(vmName).first().waitFor();
  await member.screenshot({ path: `${artifacts}/approved-vm.png`, fullPage: true });
});
