/**
 * The Networks page in Chromium: a network created through the page's form shows active on every
 * lab host (read live from libvirt); a static lease added elsewhere (the API, as another admin
 * would) and a security group rule change appear without a reload; the page refuses an address
 * inside the DHCP range with the server's words.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Api, admin } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { lab, virsh } from '../support/lab.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/networks`;
let browser: Browser;
let page: Page;
let api: Api;
const suffix = randomInt(1000, 9999);
const name = `ui${suffix}`;
const third = randomInt(10, 250);
const cleanup: (() => Promise<unknown>)[] = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ api } = await admin());
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await logInPage(page);
});

after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  await browser?.close();
});

test('create a network on the page; leases and security group changes show without reload', async () => {
  await page.getByTestId('nav-networks').click();
  await page.locator('[data-testid="network-row"][data-network="default"]').waitFor();

  await page.getByTestId('network-add').click();
  await page.getByTestId('network-name').fill(name);
  await page.getByTestId('network-cidr').fill(`10.198.${third}.0/24`);
  await page.getByTestId('network-dhcp-start').fill(`10.198.${third}.100`);
  await page.getByTestId('network-dhcp-end').fill(`10.198.${third}.199`);
  await page.getByTestId('network-create').click();
  await page.getByTestId('network-form').waitFor({ state: 'detached', timeout: 60_000 });
  const created = (await api.network.list.query()).find((n) => n.name === name);
  assert.ok(created, 'the network was saved');
  cleanup.push(() => api.network.delete.mutate({ networkId: created.id }));
  for (const h of lab().hosts) {
    assert.match((await virsh(h, 'net-info', `vireo-${name}`)).stdout, /Active:\s+yes/, `active on ${h.name}`);
  }
  const row = page.locator(`[data-testid="network-row"][data-network="${name}"]`);
  for (const h of lab().hosts) {
    await row.locator(`[data-testid="network-host-state"][data-host="${h.name}"]`, { hasText: 'active' }).waitFor();
  }
  await row.click();

  // Refused on the page, in the server's words.
  await page.getByTestId('static-lease-mac').fill('52:54:00:00:10:01');
  await page.getByTestId('static-lease-ip').fill(`10.198.${third}.150`);
  await page.getByTestId('static-lease-add').click();
  assert.match(await page.getByTestId('static-lease-error').innerText(), /inside the DHCP range/);

  // Added by someone else: shows up without a reload.
  const mac = `52:54:00:00:${(suffix % 256).toString(16).padStart(2, '0')}:02`;
  await api.network.addStaticLease.mutate({ networkId: created.id, mac, ip: `10.198.${third}.20`, hostname: 'db-1' });
  await page.locator(`[data-testid="static-lease-row"][data-mac="${mac}"]`).waitFor({ timeout: 10_000 });
  await page.screenshot({ path: `${artifacts}/networks.png`, fullPage: true });

  // Removed on the page: gone from libvirt's live XML on every host.
  await page.locator(`[data-testid="static-lease-row"][data-mac="${mac}"] [data-testid="static-lease-remove"]`).click();
  await page.locator(`[data-testid="static-lease-row"][data-mac="${mac}"]`).waitFor({ state: 'detached' });
  for (const h of lab().hosts) {
    assert.doesNotMatch((await virsh(h, 'net-dumpxml', `vireo-${name}`)).stdout, new RegExp(mac));
  }

  // A security group made on the page; a rule added through the API appears live.
  await page.getByTestId('sg-name').fill(`web-${suffix}`);
  await page.getByTestId('sg-create').click();
  const group = page.locator(`[data-testid="sg"][data-group="web-${suffix}"]`);
  await group.waitFor();
  const saved = (await api.network.securityGroups.query()).find((g) => g.name === `web-${suffix}`);
  assert.ok(saved);
  cleanup.push(() => api.network.deleteSecurityGroup.mutate({ groupId: saved.id }));
  await api.network.addRule.mutate({
    groupId: saved.id,
    rule: { direction: 'in', protocol: 'tcp', portStart: 443, portEnd: null, cidr: '10.0.0.0/8' },
  });
  await group.locator('[data-testid="sg-rule"]', { hasText: '443' }).waitFor({ timeout: 10_000 });
  assert.equal(await group.locator('[data-testid="sg-rule"]').count(), 2);
  // And one added on the page reaches libvirt's filter on every host.
  await group.getByTestId('sg-rule-protocol').selectOption('udp');
  await group.getByTestId('sg-rule-ports').fill('53');
  await group.getByTestId('sg-rule-add').click();
  await group.locator('[data-testid="sg-rule"]', { hasText: 'udp' }).waitFor();
  for (const h of lab().hosts) {
    const xml = (await virsh(h, 'nwfilter-dumpxml', saved.filterName)).stdout;
    assert.match(xml, /<udp dstportstart='53'\/>/);
    assert.match(xml, /<tcp srcipaddr='10\.0\.0\.0' srcipmask='8' dstportstart='443'\/>/);
  }
  await page.screenshot({ path: `${artifacts}/security-groups.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${artifacts}/networks-phone.png`, fullPage: true });
});
