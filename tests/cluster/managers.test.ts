/**
 * Several managers sharing one PostgreSQL database (scripts/test.sh starts this stack: two
 * managers, each lab host's agent connected to a different one). Proves on real lab hosts:
 * requests reach a host through whichever manager holds it, live changes reach the browsers of
 * every manager, VM locks and console tickets hold across managers, a manager starting up leaves
 * the other's hosts alone, and killing a manager moves its agents to the other within seconds
 * with no task left running.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { LiveChange } from '@vireo/api';
import WebSocket from 'ws';
import { admin, type Api, createTestVm, rejection, waitTask, watchChanges } from '../support/api.ts';
import { launchChromium, logInPage } from '../support/browser.ts';
import { domState, hostOfDomain, lab, waitFor } from '../support/lab.ts';

const run = promisify(execFile);
const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/e2e`;
const url1 = process.env.VIREO_TEST_URL ?? '';
const url2 = process.env.VIREO_TEST_URL2 ?? '';
/** nginx in front of both managers: manager 2 while it lives, then manager 1. */
const proxyUrl = process.env.VIREO_TEST_PROXY_URL ?? '';
const ctl = (...args: string[]) =>
  run('bash', ['scripts/stack-ctl.sh', ...args], { cwd: `${import.meta.dirname}/../..` });

type Client = Awaited<ReturnType<typeof admin>>;
let m1: Client;
let m2: Client;
let vmId = '';
let vmUuid = '';

async function hostsSeenBy(api: Api) {
  return api.host.list.query();
}

/** The client of the manager holding the VM's host, and the other one. */
async function holderAndOther(): Promise<{ holder: Client; other: Client; otherUrl: string }> {
  const vm = await m1.api.vm.byId.query({ vmId });
  const hosts = await hostsSeenBy(m1.api);
  const host = hosts.find((h) => h.id === vm.hostId);
  assert.ok(host?.managerId, 'the VM’s host is held by a manager');
  const idOf = async (api: Api) => (await api.cluster.self.query()).managerId;
  const id1 = await idOf(m1.api);
  return host.managerId === id1 ? { holder: m1, other: m2, otherUrl: url2 } : { holder: m2, other: m1, otherUrl: url1 };
}

before(async () => {
  assert.ok(url1 && url2, 'VIREO_TEST_URL and VIREO_TEST_URL2 name the two managers');
  m1 = await admin(url1);
  m2 = await admin(url2);
  ({ vmId } = await createTestVm(m1.api, 'mm', { start: false }));
  vmUuid = (await m1.api.vm.byId.query({ vmId })).uuid;
});

after(async () => {
  const vm = await m1.api.vm.byId.query({ vmId }).catch(() => null);
  if (!vm) return;
  if (vm.state === 'running') await waitTask(m1.api, (await m1.api.vm.forceOff.mutate({ vmId })).taskId);
  await waitTask(m1.api, (await m1.api.vm.delete.mutate({ vmId })).taskId);
});

test('each manager holds a lab host, and both see every host online', async () => {
  for (const api of [m1.api, m2.api]) {
    const hosts = (await hostsSeenBy(api)).filter((h) => h.status === 'online');
    assert.equal(hosts.length, lab().hosts.length);
    assert.equal(new Set(hosts.map((h) => h.managerId)).size, 2, 'the hosts are spread over both managers');
  }
});

test('the Hosts page shows which manager holds each host', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await logInPage(page);
    await page.goto(`${url1}/hosts`);
    await page.getByText('2 managers').waitFor({ timeout: 20_000 });
    const ids = (await hostsSeenBy(m1.api)).map((h) => h.managerId);
    for (const id of new Set(ids)) {
      const held = ids.filter((x) => x === id).length;
      assert.ok(id && (await page.getByText(`via ${id}`).count()) === held, `${held} host(s) via ${id} shown`);
    }
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: `${artifacts}/cluster-hosts.png` });
  } finally {
    await browser.close();
  }
});

test('a request reaches the host through the manager holding it; the other manager’s browsers see it live', async () => {
  const { other, holder } = await holderAndOther();
  const seen: LiveChange[] = [];
  const stop = watchChanges(holder.api, (c) => seen.push(c));
  try {
    await new Promise((r) => setTimeout(r, 500)); // the stream is up
    // Started through the manager that does NOT hold the VM's host: routed to the holder.
    const task = await waitTask(other.api, (await other.api.vm.start.mutate({ vmId })).taskId);
    assert.equal(task.state, 'succeeded', task.errorMessage ?? '');
    const host = await hostOfDomain(vmUuid);
    assert.ok(host);
    assert.equal(await domState(host, vmUuid), 'running');
    await waitFor(
      'the holder’s subscriber to see the VM running',
      async () => seen.some((c) => c.kind === 'vm' && c.vm.id === vmId && c.vm.state === 'running'),
      10_000,
    );
    assert.ok(
      seen.some((c) => c.kind === 'task' && c.task.id === task.id),
      'and the task made on the other manager',
    );
  } finally {
    stop();
  }
});

test('one operation per VM across managers: two racing on different managers, one is refused as busy', async () => {
  const [a, b] = await Promise.allSettled([m1.api.vm.forceOff.mutate({ vmId }), m2.api.vm.forceOff.mutate({ vmId })]);
  const ok = [a, b].filter((r) => r.status === 'fulfilled');
  const refused = [a, b].filter((r) => r.status === 'rejected');
  assert.equal(ok.length, 1, 'exactly one is accepted');
  assert.equal(refused.length, 1);
  const err = await rejection(Promise.reject((refused[0] as PromiseRejectedResult).reason));
  assert.equal(err.code, 'BUSY');
  const winner = (ok[0] as PromiseFulfilledResult<{ taskId: string }>).value.taskId;
  assert.equal((await waitTask(m1.api, winner)).state, 'succeeded');
  await waitTask(m1.api, (await m1.api.vm.start.mutate({ vmId })).taskId);
});

test('a console ticket from one manager opens the VNC stream through the other, once', async () => {
  const { holder, otherUrl } = await holderAndOther();
  const { ticket, path } = await holder.api.vm.consoleTicket.mutate({ vmId });
  const open = () =>
    new Promise<{ greeting?: string; status?: number }>((resolve, reject) => {
      const ws = new WebSocket(`${otherUrl.replace(/^http/, 'ws')}${path}?ticket=${encodeURIComponent(ticket)}`, {
        headers: { cookie: holder.cookie(), origin: otherUrl },
      });
      const timer = setTimeout(() => reject(new Error('no answer in 15 s')), 15_000);
      ws.on('unexpected-response', (_q, res) => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0 });
      });
      ws.on('message', (data: Buffer) => {
        clearTimeout(timer);
        resolve({ greeting: data.toString('latin1') });
        ws.close();
      });
      ws.on('error', reject);
    });
  const first = await open();
  assert.match(first.greeting ?? '', /^RFB 003\.00\d\n/, 'bridged to the holder, then to the agent');
  assert.equal((await open()).status, 403, 'a used ticket is refused on any manager');
});

test('kill a manager: its agent reconnects to the other within seconds, no task is left running, browsers go on', async () => {
  const id2 = (await m2.api.cluster.self.query()).managerId;
  const hostOf2 = (await hostsSeenBy(m1.api)).find((h) => h.managerId === id2 && h.status === 'online');
  assert.ok(hostOf2, 'manager 2 holds a host');
  // Manager 2 is in the middle of a task when it dies: a graceful shutdown of the running VM.
  assert.equal((await m1.api.vm.byId.query({ vmId })).state, 'running');
  // A browser behind the proxy, its live stream served by manager 2.
  const browser = await admin(proxyUrl);
  const seenByBrowser: LiveChange[] = [];
  const stopWatching = watchChanges(browser.api, (c) => seenByBrowser.push(c));
  await new Promise((r) => setTimeout(r, 500));
  const { taskId: cutShort } = await m2.api.vm.shutdown.mutate({ vmId });
  const killedAt = Date.now();
  await ctl('stop-manager', '2', '--kill');
  const id1 = (await m1.api.cluster.self.query()).managerId;
  await waitFor(
    'the killed manager’s host to be held by the survivor',
    async () => (await hostsSeenBy(m1.api)).find((h) => h.id === hostOf2.id)?.managerId === id1,
    15_000,
  );
  const movedInMs = Date.now() - killedAt;
  console.log(`# agent moved to the surviving manager in ${movedInMs} ms`);
  assert.ok(movedInMs < 10_000, `moved within seconds (${movedInMs} ms)`);
  // The task the dead manager ran is not left running: the survivor takes it over once the dead
  // manager's heartbeat is stale, and the VM's state is libvirt's (the agent finished the shutdown
  // or not; either way the inventory follows the host, and nothing ran the shutdown twice).
  const ended = await waitTask(m1.api, cutShort, 40_000);
  if (ended.state === 'failed') assert.match(ended.errorMessage ?? '', /manager running it stopped/);
  const host = await hostOfDomain(vmUuid);
  assert.ok(host);
  await waitFor('the VM’s state to be libvirt’s', async () => {
    const [vm, actual] = await Promise.all([m1.api.vm.byId.query({ vmId }), domState(host, vmUuid)]);
    return (actual === 'shut off' ? 'shutoff' : actual) === vm.state;
  });
  // Everything still works through the survivor, on both hosts.
  if ((await m1.api.vm.byId.query({ vmId })).state === 'running') {
    const t = await waitTask(m1.api, (await m1.api.vm.forceOff.mutate({ vmId })).taskId);
    assert.equal(t.state, 'succeeded', t.errorMessage ?? '');
  }
  const { vmId: other } = await createTestVm(m1.api, 'mm2', { start: false });
  // The browser's stream reconnected through the proxy to the survivor and goes on.
  await waitFor('the browser behind the proxy to see a VM made after the kill', async () =>
    seenByBrowser.some((c) => c.kind === 'vm' && c.vm.id === other),
  );
  stopWatching();
  await waitTask(m1.api, (await m1.api.vm.delete.mutate({ vmId: other })).taskId);
  // No task is left queued or running (the dead manager's are taken over).
  await waitFor('no task left queued or running', async () =>
    (await m1.api.task.list.query()).every((x) => x.state !== 'running' && x.state !== 'queued'),
  );
});

test('a manager starting leaves the hosts the other one holds online', async () => {
  // After the kill above every host is held by manager 1; manager 2 starts (and restarts) beside it.
  const id1 = (await m1.api.cluster.self.query()).managerId;
  const held = (await hostsSeenBy(m1.api)).filter((h) => h.managerId === id1).map((h) => h.id);
  assert.equal(held.length, lab().hosts.length);
  const since = Date.now();
  await ctl('start-manager', '2');
  m2 = await admin(url2);
  await ctl('stop-manager', '2');
  await ctl('start-manager', '2');
  m2 = await admin(url2);
  const hosts2 = await hostsSeenBy(m2.api);
  assert.deepEqual(
    hosts2
      .filter((h) => h.status === 'online' && h.managerId === id1)
      .map((h) => h.id)
      .sort(),
    [...held].sort(),
    'the restarted manager sees manager 1’s hosts online and held by it',
  );
  const events = await m1.api.event.list.query();
  assert.ok(
    !events.some((e) => e.kind === 'host.offline' && e.hostId && held.includes(e.hostId) && Date.parse(e.at) >= since),
    'no host went offline while manager 2 started and stopped',
  );
  // And requests still reach a host through the manager that does not hold it.
  const t = await waitTask(m2.api, (await m2.api.vm.start.mutate({ vmId })).taskId);
  assert.equal(t.state, 'succeeded', t.errorMessage ?? '');
});
