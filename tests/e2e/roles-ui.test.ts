/**
 * Roles on scopes other than projects, from the UI (issue 10): an administrator grants a role on
 * the whole system (Users page) and on a cluster (Inventory), and removes one after a
 * confirmation; what the user may see follows at once (checked through the user's own API
 * session). A project's owner, no administrator, adds a member from the portal's link to the
 * project page, looking the user up by name; the limits stay read-only for them. The same owner
 * shares one VM of the project with someone outside it from the VM's page, and an administrator
 * grants a role on one template from the Templates page.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  admin,
  baseUrl,
  defaultTemplate,
  loginAs,
  rejection,
  removeVms,
  uniqueName,
  waitTask,
} from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import {
  closeProjectsDb,
  copyOfDefaultTemplate,
  grantOnProject,
  makeProject,
  removeProject,
  removeTemplate,
} from '../support/projects.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/roles-ui`;
const password = 'roles-ui-password-1';
let root: Awaited<ReturnType<typeof admin>>;
let browser: Browser;
const userIds: string[] = [];
const projectIds: string[] = [];
const vmIds: string[] = [];
/** Error texts on a page (Next's route announcer is an alert too, and says the page title). */
const ERRORS = '[role="alert"]:not(#__next-route-announcer__)';
const templateIds: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  root = await admin();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await removeVms(root.api, vmIds);
  for (const id of templateIds) await removeTemplate(id).catch(() => {});
  const me = (await root.api.auth.me.query())?.id ?? '';
  for (const userId of userIds) await root.api.user.delete.mutate({ userId, newOwnerId: me }).catch(() => {});
  for (const id of projectIds) await removeProject(id).catch(() => {});
  await closeProjectsDb();
});

async function newUser(prefix: string) {
  const username = uniqueName(prefix).toLowerCase();
  const user = await root.api.user.create.mutate({ username, password, role: 'user' });
  userIds.push(user.id);
  return { ...user, session: await loginAs(username, password) };
}

async function grantIn(page: Page, panel: string, username: string, role: string): Promise<void> {
  const roles = page.locator(panel);
  await roles.getByTestId('role-user').fill(username);
  await roles.getByTestId('role-role').selectOption(role);
  // Enabled once the lookup has found exactly this user.
  await roles.getByTestId('role-grant').click();
  await roles.locator(`[data-testid="role-row"][data-name="${username}"][data-role="${role}"]`).waitFor();
}

test('system and cluster roles: granted from the Users page and the inventory, removed after a confirmation', async () => {
  const auditor = await newUser('auditor');
  const clusterOp = await newUser('clusterop');
  const allHosts = await root.api.host.list.query();
  assert.ok(allHosts.length >= 2, 'the lab has several hosts');
  assert.deepEqual(await auditor.session.api.host.list.query(), [], 'no role: no hosts');

  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(page);
  await page.goto(`${baseUrl()}/users`);
  const system = '[data-testid="roles-panel"][data-scope="system"]';
  await page.locator(system).waitFor();
  // A name nobody has: the panel says so and grants nothing.
  await page.locator(system).getByTestId('role-user').fill('nobody-has-this-name');
  await page
    .locator(system)
    .getByText(/No user.s name contains/)
    .waitFor();
  assert.equal(await page.locator(system).getByTestId('role-grant').isDisabled(), true);

  await grantIn(page, system, auditor.username, 'viewer');
  await page.screenshot({ path: `${artifacts}/users-system-roles.png`, fullPage: true });
  assert.equal(
    (await auditor.session.api.host.list.query()).length,
    allHosts.length,
    'a viewer on the system sees every host',
  );
  await assert.rejects(
    auditor.session.api.user.list.query(),
    /administrator|FORBIDDEN|not allowed/i,
    'but is no admin',
  );

  // Removal asks first; Cancel keeps the role.
  const row = page.locator(system).locator(`[data-testid="role-row"][data-name="${auditor.username}"]`);
  await row.getByTestId('role-remove').click();
  await page.getByTestId('role-remove-dialog').waitFor();
  await page.screenshot({ path: `${artifacts}/role-remove-confirm.png` });
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await row.count(), 1);
  await row.getByTestId('role-remove').click();
  await page.getByTestId('role-remove-dialog').getByRole('button', { name: 'Remove role' }).click();
  await row.waitFor({ state: 'detached' });
  assert.deepEqual(await auditor.session.api.host.list.query(), [], 'removed: no hosts again');

  // Operator on one cluster: that cluster's hosts and nothing else.
  const tree = await root.api.inventory.tree.query();
  const host = tree.hosts[0];
  assert.ok(host);
  const cluster = tree.clusters.find((c) => c.id === host.clusterId);
  assert.ok(cluster);
  await page.goto(`${baseUrl()}/inventory`);
  await page.locator(`[data-testid="inventory-node"][data-key="cluster:${cluster.id}"]`).click();
  const clusterPanel = '[data-testid="roles-panel"][data-scope="cluster"]';
  await page.locator(clusterPanel).waitFor();
  await grantIn(page, clusterPanel, clusterOp.username, 'operator');
  await page.locator(clusterPanel).scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/inventory-cluster-roles.png`, fullPage: true });
  const seen = (await clusterOp.session.api.host.list.query()).map((h) => h.id).sort();
  const expected = tree.hosts
    .filter((h) => h.clusterId === cluster.id)
    .map((h) => h.id)
    .sort();
  assert.deepEqual(seen, expected, "the cluster operator sees its cluster's hosts only");
  // An operator does not manage the cluster: its roles are refused to them.
  await assert.rejects(
    clusterOp.session.api.permission.forScope.query({ scopeKind: 'cluster', scopeId: cluster.id }),
    /role does not allow manage|FORBIDDEN/,
  );

  // The operator's own console: Inventory and Hosts in the navigation, its cluster only, and no
  // panel that fails for want of an administrator.
  await page.context().clearCookies();
  await logInPage(page, clusterOp.username, password);
  await page.getByTestId('nav-inventory').click();
  await page.locator(`[data-testid="inventory-node"][data-key="cluster:${cluster.id}"]`).click();
  await page.getByTestId('inventory-details').waitFor();
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${artifacts}/operator-inventory.png`, fullPage: true });
  const keys = await page
    .locator('[data-testid="inventory-node"]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
  const otherHosts = tree.hosts.filter((h) => h.clusterId !== cluster.id);
  for (const other of otherHosts) assert.ok(!keys.includes(`host:${other.id}`), 'no host of another cluster');
  assert.deepEqual(await page.locator(ERRORS).allInnerTexts(), [], 'no failing panel on the cluster');
  assert.equal(await page.getByTestId('nav-networks').count(), 0, 'networks stay with administrators');
  // Only what an operator may do is offered: previews, not settings, moves, deletes or applies.
  await page.getByTestId('balance-preview').waitFor();
  for (const action of ['inventory-new-datacenter', 'inventory-settings', 'inventory-rename', 'inventory-move'])
    assert.equal(await page.getByTestId(action).count(), 0, `${action} is not offered to an operator`);
  for (const action of ['inventory-delete', 'balance-apply', 'balance-save', 'cluster-ha-save'])
    assert.equal(await page.getByTestId(action).count(), 0, `${action} is not offered to an operator`);
  await page.getByTestId('nav-hosts').click();
  await page.locator(`[data-testid="host-row"]`).first().waitFor();
  assert.equal(await page.locator('[data-testid="host-row"]').count(), expected.length);
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${artifacts}/operator-hosts.png`, fullPage: true });
  assert.deepEqual(await page.locator(ERRORS).allInnerTexts(), [], 'no failing panel on the host list');
  await page.goto(`${baseUrl()}/hosts/${host.id}`);
  await page.getByTestId('host-name-heading').waitFor();
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${artifacts}/operator-host-page.png`, fullPage: true });
  assert.deepEqual(await page.locator(ERRORS).allInnerTexts(), [], 'no failing panel on the host page');
  assert.equal(await page.getByTestId('enter-maintenance').count(), 0, 'maintenance needs manage on the host');

  // As the cluster's owner the same user manages it: settings, rename and maintenance appear.
  await root.api.permission.grant.mutate({
    scopeKind: 'cluster',
    scopeId: cluster.id,
    userId: clusterOp.id,
    role: 'owner',
  });
  await page.reload();
  await page.getByTestId('enter-maintenance').waitFor();
  await page.goto(`${baseUrl()}/inventory`);
  await page.locator(`[data-testid="inventory-node"][data-key="cluster:${cluster.id}"]`).click();
  await page.getByTestId('inventory-settings').waitFor();
  assert.equal(await page.getByTestId('inventory-rename').count(), 1);
  assert.equal(await page.getByTestId('balance-save').count(), 1);
  assert.equal(await page.getByTestId('inventory-delete').count(), 0, 'deleting a cluster stays with administrators');
  await page.screenshot({ path: `${artifacts}/cluster-owner-inventory.png`, fullPage: true });
  await page.close();
});

test("a project's owner (no administrator) adds a member from the portal; limits stay read-only", async () => {
  const owner = await newUser('owner');
  const newcomer = await newUser('newcomer');
  const project = await makeProject('rolesui', { Vms: 3 });
  projectIds.push(project.id);
  await grantOnProject(owner.id, 'owner', project.id);
  // Only who manages some scope looks users up.
  await assert.rejects(newcomer.session.api.permission.findUsers.query({ text: 'a' }), /manage a project/);

  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await logInPage(page, owner.username, password);
  await page.goto(`${baseUrl()}/portal`);
  await page.getByTestId(`portal-project-${project.name}`).getByTestId('portal-project-members').click();
  await page.getByTestId('project-members').waitFor();
  await page.getByTestId('member-user').fill(newcomer.username);
  await page.getByTestId('member-role').selectOption('member');
  await page.getByTestId('member-add').click();
  await page.locator(`[data-testid="member-row"][data-name="${newcomer.username}"]`).waitFor();
  assert.equal(await page.getByTestId('limits-save').count(), 0, 'no Save limits for an owner');
  assert.equal(await page.getByTestId('quota-Vms').getAttribute('readonly'), '', 'the limits are read-only');
  await page.screenshot({ path: `${artifacts}/owner-project-page.png`, fullPage: true });
  const theirs = await newcomer.session.api.project.list.query();
  assert.ok(
    theirs.some((p) => p.id === project.id),
    'the newcomer is in the project',
  );
  // The newcomer, a member, sees the page without the means to change members.
  await page.context().clearCookies();
  await logInPage(page, newcomer.username, password);
  await page.goto(`${baseUrl()}/projects/${project.id}`);
  await page.getByTestId('project-members').waitFor();
  assert.equal(await page.getByTestId('member-add').count(), 0);
  assert.equal(await page.getByTestId('member-remove').count(), 0);
  await page.close();
});

test("a project's owner shares one VM from its page; a member is not offered the panel", async () => {
  const owner = await newUser('vmowner');
  const member = await newUser('vmmember');
  const friend = await newUser('vmfriend');
  const project = await makeProject('rolesvm', { Vms: 3 });
  projectIds.push(project.id);
  await grantOnProject(owner.id, 'owner', project.id);
  await grantOnProject(member.id, 'member', project.id);
  const template = await defaultTemplate(root.api);
  const made = await owner.session.api.vm.create.mutate({
    name: uniqueName('rolesvm'),
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: false,
    projectId: project.id,
  });
  vmIds.push(made.vmId);
  assert.equal((await waitTask(root.api, made.taskId)).state, 'succeeded');
  assert.equal((await rejection(friend.session.api.vm.byId.query({ vmId: made.vmId }))).code, 'NOT_FOUND');

  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(page, owner.username, password);
  await page.goto(`${baseUrl()}/vms/${made.vmId}`);
  const panel = '[data-testid="roles-panel"][data-scope="vm"]';
  await page.locator(panel).waitFor();
  await grantIn(page, panel, friend.username, 'viewer');
  await page.screenshot({ path: `${artifacts}/vm-roles.png`, fullPage: true });
  assert.equal(
    (await friend.session.api.vm.byId.query({ vmId: made.vmId })).id,
    made.vmId,
    'shared: the friend sees it',
  );
  const listed = await friend.session.api.vm.list.query({});
  assert.ok(
    listed.rows.some((v) => v.id === made.vmId),
    'and finds it in the VM list',
  );
  // A viewer looks, and no more.
  assert.equal((await rejection(friend.session.api.vm.start.mutate({ vmId: made.vmId }))).code, 'FORBIDDEN');

  // Removing the role (after a confirmation) hides the VM from the friend again.
  await page
    .locator(`${panel} [data-testid="role-row"][data-name="${friend.username}"] [data-testid="role-remove"]`)
    .click();
  await page.getByTestId('role-remove-dialog').getByRole('button', { name: 'Remove role' }).click();
  await page
    .locator(`${panel} [data-testid="role-row"][data-name="${friend.username}"]`)
    .waitFor({ state: 'detached' });
  assert.equal((await rejection(friend.session.api.vm.byId.query({ vmId: made.vmId }))).code, 'NOT_FOUND');

  // A member of the project runs the VM but grants nothing: no panel.
  await page.context().clearCookies();
  await logInPage(page, member.username, password);
  await page.goto(`${baseUrl()}/vms/${made.vmId}`);
  await page.getByTestId('vm-state').waitFor();
  await page.getByTestId('vm-tabpanel-summary').waitFor();
  assert.equal(await page.locator(panel).count(), 0);
  await page.close();
});

test('an administrator grants a role on one template from the Templates page', async () => {
  const user = await newUser('tpluser');
  const template = await copyOfDefaultTemplate('rolestpl');
  templateIds.push(template.id);
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logInPage(page);
  await page.goto(`${baseUrl()}/templates`);
  const section = page.getByTestId(`template-${template.name}`);
  await section.getByTestId('template-roles').click();
  const panel = `[data-testid="template-${template.name}"] [data-testid="roles-panel"][data-scope="template"]`;
  await page.locator(panel).waitFor();
  await grantIn(page, panel, user.username, 'member');
  await page.screenshot({ path: `${artifacts}/template-roles.png`, fullPage: true });
  const bindings = await root.api.permission.forScope.query({ scopeKind: 'template', scopeId: template.id });
  assert.deepEqual(
    bindings.map((b) => [b.username, b.role]),
    [[user.username, 'member']],
  );
  assert.ok(
    (await user.session.api.template.list.query()).some((t) => t.id === template.id),
    'the holder sees the template',
  );
  await page.close();
});
