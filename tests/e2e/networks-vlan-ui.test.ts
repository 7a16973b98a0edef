/**
 * The Networks page's VLAN field: a tag out of 1–4094 is refused in the server's words and nothing
 * is saved; a tagged network shows its tag, its device and the bridge the agents make for it in
 * the list and the detail. The listed network belongs to a stand-in host that enrolls and never
 * connects, so no host is asked to make it (the lab's traffic proof is tests/lab/networks-vlan).
 */
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ENROLL_PATH } from '@vireo/protocol';
import type { Browser, Page } from 'playwright-core';
import { type Api, admin, baseUrl } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/networks`;
let browser: Browser;
let page: Page;
let api: Api;
const suffix = randomInt(1000, 9999);
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

test('the VLAN field: refused out of range, shown with its device and bridge', async () => {
  const { token } = await api.host.createEnrollmentToken.mutate();
  const res = await fetch(`${baseUrl()}${ENROLL_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostUuid: randomUUID(), hostname: `standin-${suffix}` }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { hostId } = (await res.json()) as { hostId: string };
  cleanup.push(() => api.host.remove.mutate({ hostId }));
  // Enrollment tokens made without a cluster go to the seeded one.
  const clusters = await api.network.clusters.query();
  const clusterId = (clusters.find((c) => c.name === 'Default') ?? clusters[0])!.id;
  const name = `vlan${suffix}`;
  const net = await api.network.create.mutate({
    name,
    clusterId,
    scope: 'host',
    hostId,
    mode: 'bridged',
    bridge: 'eth0',
    vlan: 20,
  });
  cleanup.push(() => api.network.delete.mutate({ networkId: net.id }));

  await page.getByTestId('nav-networks').click();
  const row = page.locator(`[data-testid="network-row"][data-network="${name}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /bridged · VLAN 20/);
  assert.equal(await row.getByTestId('network-where').innerText(), 'VLAN 20 on eth0 → vb-eth0-20');
  await row.click();
  assert.match(
    await page.getByTestId('network-detail').innerText(),
    /VLAN 20 on eth0: each host carries it on eth0\.20 in the bridge vb-eth0-20/,
  );

  await page.getByTestId('network-add').click();
  await page.getByTestId('network-name').fill(`bad${suffix}`);
  await page.getByTestId('network-mode').selectOption('bridged');
  await page.getByTestId('network-vlan').fill('4095');
  await page.getByTestId('network-bridge').fill('eth0');
  await page.getByText('Device carrying the VLAN').waitFor();
  await page.getByTestId('network-create').click();
  const error = page.getByTestId('network-form-error');
  await error.waitFor();
  assert.match(await error.innerText(), /4094/);
  await page.screenshot({ path: `${artifacts}/networks-vlan.png`, fullPage: true });
  assert.ok(!(await api.network.list.query()).some((n) => n.name === `bad${suffix}`), 'nothing saved');
});
