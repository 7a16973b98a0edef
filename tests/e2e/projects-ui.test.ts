/**
 * Projects and permissions on the real stack (issue 10): a VM moved into a project is seen and
 * run by the project's member, not by a user outside it; the member may not delete it or change
 * the project's limits; a project with VMs cannot be removed. Then Administration → Projects in
 * Chromium: grant a role and set limits on the project's page. Screenshots are saved for a person
 * to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, createTestVm, loginAs, rejection, removeVms, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/projects`;
let browser: Browser;
let page: Page;
const password = 'project-test-pw-1';
let root: Awaited<ReturnType<typeof admin>>;
let projectId = '';
let vmId = '';
const userIds: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  root = await admin();
});

after(async () => {
  await browser?.close();
  const { api } = root;
  if (vmId) {
    await api.project.moveVm.mutate({ vmId, projectId: null }).catch(() => {});
    await removeVms(api, [vmId]);
  }
  if (projectId) await api.project.remove.mutate({ projectId }).catch(() => {});
  const me = (await api.auth.me.query())?.id ?? '';
  for (const userId of userIds) await api.user.delete.mutate({ userId, newOwnerId: me }).catch(() => {});
});

async function newUser(prefix: string) {
  const username = uniqueName(prefix).toLowerCase();
  const user = await root.api.user.create.mutate({ username, password, role: 'user' });
  userIds.push(user.id);
  return { ...user, session: await loginAs(username, password) };
}

test('a project member sees and runs the project’s VM; an outsider does not; the member may not delete it', async () => {
  const { api } = root;
  const project = await api.project.create.mutate({ name: uniqueName('proj'), description: 'permission test' });
  projectId = project.id;
  const member = await newUser('member');
  const outsider = await newUser('outsider');
  await api.project.grant.mutate({ projectId, userId: member.id, role: 'member' });
  ({ vmId } = await createTestVm(api, 'projvm', { start: false }));

  // Before the move the VM is the admin's alone.
  assert.equal((await rejection(member.session.api.vm.byId.query({ vmId }))).code, 'NOT_FOUND');
  await api.project.moveVm.mutate({ vmId, projectId });

  const listed = await member.session.api.vm.list.query({ limit: 500 });
  assert.deepEqual(
    listed.rows.map((v) => v.id),
    [vmId],
    'the member lists exactly the project’s VM',
  );
  assert.equal((await member.session.api.vm.byId.query({ vmId })).projectId, projectId);
  assert.equal((await outsider.session.api.vm.list.query({ limit: 500 })).total, 0);
  assert.equal((await rejection(outsider.session.api.vm.byId.query({ vmId }))).code, 'NOT_FOUND');
  assert.equal((await rejection(outsider.session.api.vm.start.mutate({ vmId }))).code, 'NOT_FOUND');

  // The member operates it (a real start through the agent) but may not delete or edit it.
  const started = await member.session.api.vm.start.mutate({ vmId });
  assert.ok(started.taskId);
  assert.equal((await rejection(member.session.api.vm.delete.mutate({ vmId }))).code, 'FORBIDDEN');
  assert.equal(
    (await rejection(member.session.api.project.update.mutate({ projectId, quota: { Vms: 100 } }))).code,
    'FORBIDDEN',
  );
  // Members see the project but no hosts.
  assert.deepEqual(
    (await member.session.api.project.list.query()).map((p) => p.id),
    [projectId],
  );
  assert.deepEqual(await member.session.api.host.list.query(), [], 'members see no hosts');

  const refused = await rejection(api.project.remove.mutate({ projectId }));
  assert.equal(refused.code, 'CONFLICT');
  assert.match(refused.message, /still has 1 VM/);
});

test('Administration → Projects: grant a role and set limits on the project’s page', async () => {
  assert.ok(projectId, 'the first test made the project');
  const viewer = await newUser('viewer');
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(page);
  await page.goto(`${baseUrl()}/projects`);
  await page.locator(`[data-testid="project-row"]`).first().waitFor();
  await page.screenshot({ path: `${artifacts}/projects-list.png` });

  await page.goto(`${baseUrl()}/projects/${projectId}`);
  await page.getByTestId('project-members').waitFor();
  await page.getByTestId('member-user').fill(viewer.username);
  await page.getByTestId('member-role').selectOption('viewer');
  await page.getByTestId('member-add').click();
  await page.locator(`[data-testid="member-row"][data-name="${viewer.username}"]`).waitFor();

  await page.getByTestId('quota-Vms').fill('5');
  await page.getByTestId('quota-MemoryMiB').fill('4096');
  await page.getByTestId('limits-save').click();
  await page.getByTestId('limits-saved').waitFor();
  await page.screenshot({ path: `${artifacts}/project-page.png`, fullPage: true });

  const detail = await root.api.project.byId.query({ projectId });
  assert.equal(detail.quota.Vms, 5);
  assert.equal(detail.quota.MemoryMiB, 4096);
  assert.equal(detail.quota.Vcpus, null, 'an empty field is no limit');
  assert.ok(detail.members.some((m) => m.userId === viewer.id && m.role === 'viewer'));
  // The viewer now sees the VM and may not start it.
  assert.equal((await viewer.session.api.vm.byId.query({ vmId })).id, vmId);
  assert.equal((await rejection(viewer.session.api.vm.forceOff.mutate({ vmId }))).code, 'FORBIDDEN');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${artifacts}/project-page-phone.png`, fullPage: true });
});
