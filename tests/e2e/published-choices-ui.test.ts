/**
 * Networks and storage pools published to a project (issue 10), in Chromium against the real
 * stack: in the portal's create and on its VM's Hardware tab a project member is offered only the
 * networks and pools published to the project (no host names), creates its VM with an extra NIC
 * and adds a NIC and a disk there (all in libvirt), and
 * the API refuses one it may not see (NOT_FOUND) — also once an administrator unpublishes it.
 * Screenshots are saved for a person to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { admin, baseUrl, defaultTemplate, loginAs, rejection, removeVms, uniqueName } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/portal`;
const password = 'published-test-pw-1';
let root: Awaited<ReturnType<typeof admin>>;
let member: Awaited<ReturnType<typeof loginAs>>;
let browser: Browser;
let page: Page;
let projectId = '';
let memberId = '';
let hiddenNetworkId = '';
const hiddenNetwork = uniqueName('hid')
  .toLowerCase()
  .replace(/[^a-z0-9-]/g, '');
const made: string[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  root = await admin();
  const { api } = root;
  projectId = (await api.project.create.mutate({ name: uniqueName('pubnet').toLowerCase(), description: '' })).id;
  const username = uniqueName('netmember').toLowerCase();
  memberId = (await api.user.create.mutate({ username, password, role: 'user' })).id;
  await api.project.grant.mutate({ projectId, userId: memberId, role: 'member' });
  const template = await defaultTemplate(api);
  await api.project.publish.mutate({ projectId, objectKind: 'template', objectId: template.id });
  // The `default` network of every cluster and the `default` pool: published. A new network: not.
  const networks = await api.network.list.query();
  for (const n of networks.filter((x) => x.name === 'default'))
    await api.project.publish.mutate({ projectId, objectKind: 'network', objectId: n.id });
  const pool = (await api.storage.list.query()).find((p) => p.name === 'default');
  assert.ok(pool, 'the lab has the default pool');
  await api.project.publish.mutate({ projectId, objectKind: 'pool', objectId: pool.id });
  const clusterId = networks.find((n) => n.name === 'default')?.clusterId ?? '';
  const net = `172.31.${10 + Math.floor(Math.random() * 240)}`;
  hiddenNetworkId = (
    await api.network.create.mutate({
      name: hiddenNetwork,
      clusterId,
      mode: 'isolated',
      cidr: `${net}.0/24`,
      dhcpStart: `${net}.10`,
      dhcpEnd: `${net}.50`,
    })
  ).id;

  member = await loginAs(username, password);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await logInPage(page, username, password);
});

after(async () => {
  await browser?.close();
  const { api } = root;
  await removeVms(api, made);
  if (hiddenNetworkId) await api.network.delete.mutate({ networkId: hiddenNetworkId }).catch(() => {});
  if (projectId) await api.project.remove.mutate({ projectId }).catch(() => {});
  const me = (await api.auth.me.query())?.id ?? '';
  if (memberId) await api.user.delete.mutate({ userId: memberId, newOwnerId: me }).catch(() => {});
});

test('a member adds a NIC and a disk on what its project offers; what it may not see is refused', async () => {
  const { api } = member;
  // The member's lists: only what is published, with no host named.
  const nets = await api.network.list.query();
  assert.deepEqual([...new Set(nets.map((n) => n.name))], ['default']);
  assert.ok(
    nets.every((n) => n.hosts.length === 0 && n.staticLeases.length === 0),
    'no hosts or leases',
  );
  const pools = await api.storage.list.query();
  assert.deepEqual(
    pools.map((p) => [p.name, p.hosts.length, p.volumes]),
    [['default', 0, null]],
  );

  // The portal's create offers the published network for an extra NIC, and nothing else.
  await page.goto(`${baseUrl()}/portal/new`);
  const portalNet = page.getByTestId('portal-create-network');
  await portalNet.waitFor();
  assert.deepEqual(await portalNet.locator('option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)), [
    '',
    'vireo-default',
  ]);
  await portalNet.selectOption('vireo-default');
  // The template's disk counts against the disk quota: the panel shows what it adds.
  assert.match(await page.getByTestId('quota-DiskGiB').innerText(), /0\s*\+\s*[1-9]\d*/);
  await page.getByTestId('portal-create-name').fill(uniqueName('netvm'));
  await page.screenshot({ path: `${artifacts}/portal-create-network.png` });
  await page.getByTestId('portal-create-submit').click();
  await page.waitForURL(/\/portal\/vms\//);
  const vmId = page.url().split('/portal/vms/')[1]?.split(/[?#]/)[0] ?? '';
  made.push(vmId);
  const vm = await waitFor(
    'the VM running',
    async () => {
      const v = await api.vm.byId.query({ vmId });
      return v.state === 'running' && v;
    },
    90_000,
  );
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the VM is in libvirt');
  const hw = await api.vm.hardware.query({ vmId });
  assert.ok(
    hw.nics.some((n) => n.network === 'vireo-default'),
    'the extra NIC is on the published network',
  );
  // The same create naming a network out of sight: refused as missing.
  const template = await defaultTemplate(api);
  const refused = await rejection(
    api.vm.create.mutate({
      name: uniqueName('netvm'),
      templateId: template.id,
      vcpus: 1,
      memoryMiB: 128,
      projectId,
      nics: [{ network: `vireo-${hiddenNetwork}` }],
    }),
  );
  assert.equal(refused.code, 'NOT_FOUND');

  await page.goto(`${process.env.VIREO_TEST_URL}/vms/${vm.id}?tab=hardware`);
  await page.locator('[data-testid="vm-state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
  const select = page.getByTestId('vm-add-nic-network');
  await waitFor('the member’s network choice', async () => (await select.locator('option').count()) > 0, 30_000, 250);
  assert.deepEqual(await select.locator('option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)), [
    'vireo-default',
  ]);
  const poolSelect = page.getByTestId('vm-add-disk-pool');
  await waitFor('the member’s pool choice', async () => (await poolSelect.inputValue()) === 'default', 30_000, 250);
  const text = await page.getByTestId('vm-hardware').innerText();
  assert.ok(!text.includes(hiddenNetwork), 'the unpublished network is not offered');
  await page.getByTestId('vm-hardware').screenshot({ path: `${artifacts}/member-hardware-choices.png` });

  const rows = page.getByTestId('vm-nic-row');
  const nicsBefore = await rows.count();
  await page.getByTestId('vm-add-nic-submit').click();
  await waitFor('the new NIC row', async () => (await rows.count()) > nicsBefore, 60_000, 250);
  const mac = ((await rows.last().getByTestId('vm-nic-mac').textContent()) ?? '').trim();
  assert.match(mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
  await waitFor(
    'the NIC in libvirt',
    async () => (await virsh(host, 'domiflist', vm.uuid)).stdout.includes(mac),
    30_000,
    500,
  );

  const disksBefore = (await virsh(host, 'domblklist', vm.uuid)).stdout.trim().split('\n').length;
  await page.getByTestId('vm-add-disk-size').fill('0.1');
  await page.getByTestId('vm-add-disk-submit').click();
  await waitFor(
    'the disk in libvirt',
    async () => (await virsh(host, 'domblklist', vm.uuid)).stdout.trim().split('\n').length > disksBefore,
    60_000,
    500,
  );
  await page.getByTestId('vm-hardware').getByText('Disk 2').waitFor({ timeout: 30_000 });
  await page.getByTestId('vm-hardware').screenshot({ path: `${artifacts}/member-hardware-added.png` });
  for (const h of lab().hosts) assert.ok(!text.includes(h.name), `the choices name host ${h.name}`);

  // Out of sight: missing, in words that say what to do.
  const hidden = await rejection(api.vm.addNic.mutate({ vmId: vm.id, network: `vireo-${hiddenNetwork}` }));
  assert.equal(hidden.code, 'NOT_FOUND');
  assert.match(hidden.message, /published to your project/);
  const pool = await rejection(
    api.vm.addDisk.mutate({ vmId: vm.id, sizeBytes: 2 ** 20, bus: 'virtio', format: 'qcow2', pool: 'nosuch' }),
  );
  assert.equal(pool.code, 'NOT_FOUND');
  // Unpublished by an administrator: the member's list and add NIC follow at once.
  for (const n of await root.api.network.list.query())
    if (n.name === 'default')
      await root.api.project.unpublish.mutate({ projectId, objectKind: 'network', objectId: n.id });
  assert.deepEqual(await api.network.list.query(), []);
  assert.equal((await rejection(api.vm.addNic.mutate({ vmId: vm.id, network: 'vireo-default' }))).code, 'NOT_FOUND');
});
