/**
 * A host's report can never move a VM it does not own. An enrolled agent (its own host, its own
 * credential) that claims another host's running VM changes nothing: the VM stays on its host,
 * admins see a conflict event, the console still goes to the recorded host, and adoption is
 * refused while that host still runs it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { AGENT_WS_PATH, ENROLL_PATH, PROTOCOL_VERSION } from '@vireo/protocol';
import WebSocket from 'ws';
import { type Api, admin, baseUrl, createTestVm, rejection, waitTask } from '../support/api.ts';
import { hostOfDomain, waitFor } from '../support/lab.ts';

let api: Api;
let cookie: () => string;
let vm: Awaited<ReturnType<typeof createTestVm>>['vm'];
let impostor: WebSocket;
const requestsToImpostor: string[] = [];
/**
 * Sent to every host that connects (its cluster's pools, networks and filters, and the listing
 * that sweeps stale vireo-* networks and filters): nothing about a VM.
 */
// Host-level setup every agent gets on connect (pools, networks, filters, HA heartbeat settings): not about the VM.
const HOST_SETUP = new Set([
  'pool.ensure',
  'network.ensure',
  'filter.ensure',
  'network.list',
  'filter.list',
  'ha.configure',
]);
let impostorHostId = '';

before(async () => {
  ({ api, cookie } = await admin());
  ({ vm } = await createTestVm(api, 'victim'));
  const { token } = await api.host.createEnrollmentToken.mutate();
  const hostUuid = randomUUID();
  const res = await fetch(`${baseUrl()}${ENROLL_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostUuid, hostname: 'impostor' }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { credential, hostId } = (await res.json()) as { credential: string; hostId: string };
  impostorHostId = hostId;
  impostor = new WebSocket(`${baseUrl().replace(/^http/, 'ws')}${AGENT_WS_PATH}`, {
    headers: { authorization: `Bearer ${credential}` },
  });
  impostor.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { t: string; id: string; method: string };
    if (msg.t === 'request') {
      if (!HOST_SETUP.has(msg.method)) requestsToImpostor.push(msg.method);
      impostor.send(JSON.stringify({ t: 'reply', id: msg.id, ok: true, result: {} }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    impostor.once('open', () => resolve());
    impostor.once('error', reject);
  });
  const claimed = {
    uuid: vm.uuid,
    name: vm.name,
    state: 'running',
    reason: 'booted',
    vcpus: vm.vcpus,
    memoryMiB: vm.memoryMiB,
    persistent: true,
  };
  impostor.send(
    JSON.stringify({
      t: 'state',
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: 'impostor',
      host: {
        hostUuid,
        hostname: 'impostor',
        cpuModel: 'x',
        cpuCount: 64,
        memoryBytes: 2 ** 40,
        memoryFreeBytes: 2 ** 40,
        libvirtVersion: '0',
        qemuVersion: '0',
        domainTypes: ['qemu'],
        storage: [],
      },
      domains: [claimed],
    }),
  );
  impostor.send(JSON.stringify({ t: 'domain', at: Date.now(), event: 'started', uuid: vm.uuid, domain: claimed }));
});

after(async () => {
  impostor?.close();
  // A fake host left enrolled would hold up the orphan file sweep for the rest of the suite.
  await waitFor('the impostor offline', async () =>
    (await api.host.list.query()).some((h) => h.id === impostorHostId && h.status === 'offline'),
  ).catch(() => undefined);
  await api.host.remove.mutate({ hostId: impostorHostId }).catch(() => undefined);
  if ((await api.vm.byId.query({ vmId: vm.id })).state !== 'shutoff')
    await waitTask(api, (await api.vm.forceOff.mutate({ vmId: vm.id })).taskId);
  await waitTask(api, (await api.vm.delete.mutate({ vmId: vm.id })).taskId);
});

test('an impostor agent claiming a foreign VM moves nothing and raises a conflict', async () => {
  const conflict = await waitFor('a conflict event for admins', async () =>
    (await api.event.list.query()).find((e) => e.kind === 'vm.conflict' && e.vmId === vm.id),
  );
  assert.match(conflict.message, /impostor/);
  const after = await api.vm.byId.query({ vmId: vm.id });
  assert.equal(after.hostId, vm.hostId, 'the VM stays on its recorded host');
  assert.equal(after.state, 'running');
  const real = await hostOfDomain(vm.uuid);
  assert.equal(after.hostName, real?.name, 'and that is where libvirt has it');
  // One event per claim, not one per report.
  const conflicts = (await api.event.list.query()).filter((e) => e.kind === 'vm.conflict' && e.vmId === vm.id);
  assert.equal(conflicts.length, 1);
});

test('the console still goes to the recorded host', async () => {
  const { ticket, path } = await api.vm.consoleTicket.mutate({ vmId: vm.id });
  const url = `${baseUrl().replace(/^http/, 'ws')}${path}?ticket=${encodeURIComponent(ticket)}`;
  const greeting = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { cookie: cookie(), origin: baseUrl() } });
    const timer = setTimeout(() => reject(new Error('no console greeting in 15 s')), 15_000);
    ws.on('message', (data: Buffer) => {
      clearTimeout(timer);
      resolve(data.toString('latin1'));
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`console refused: ${res.statusCode}`)));
    ws.on('error', reject);
  });
  assert.match(greeting, /^RFB 003\.008/);
  assert.deepEqual(requestsToImpostor, [], 'the impostor was asked nothing about the VM');
});

test('adoption by the claiming host is refused while the recorded host runs the VM', async () => {
  const refused = await rejection(api.vm.adopt.mutate({ vmId: vm.id, hostId: impostorHostId }));
  assert.equal(refused.code, 'CONFLICT', refused.message);
  assert.equal((await api.vm.byId.query({ vmId: vm.id })).hostId, vm.hostId);
});

test("the impostor's stats do not set the VM's CPU", async () => {
  impostor.send(
    JSON.stringify({
      t: 'stats',
      at: Date.now(),
      host: { cpuUsagePercent: 1, memoryFreeBytes: 2 ** 30 },
      domains: [{ uuid: vm.uuid, cpuUsagePercent: 77.7 }],
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.notEqual((await api.vm.byId.query({ vmId: vm.id })).cpuUsagePercent, 77.7);
});

test('delete is refused while another host has the VM defined: its disk stays', async () => {
  await waitTask(api, (await api.vm.forceOff.mutate({ vmId: vm.id })).taskId);
  const refused = await rejection(api.vm.delete.mutate({ vmId: vm.id }));
  assert.equal(refused.code, 'CONFLICT', refused.message);
  assert.ok(await hostOfDomain(vm.uuid), 'the domain is still defined');
  assert.equal((await api.vm.byId.query({ vmId: vm.id })).state, 'shutoff');
});

test('a host is removed only once it is offline, and then it is gone', async () => {
  const online = await rejection(api.host.remove.mutate({ hostId: impostorHostId }));
  assert.equal(online.code, 'INVALID_STATE', online.message);
  impostor.close();
  await waitFor('the impostor offline', async () =>
    (await api.host.list.query()).some((h) => h.id === impostorHostId && h.status === 'offline'),
  );
  await api.host.remove.mutate({ hostId: impostorHostId });
  assert.ok(!(await api.host.list.query()).some((h) => h.id === impostorHostId));
  const events = await api.event.list.query();
  assert.ok(events.some((e) => e.kind === 'host.removed'));
});
