/**
 * The HA monitor's shared state on a real (migrated) test database: heartbeat reports only move
 * "last seen" forward (any manager may apply any report), the per-cluster monitor lease is held
 * by one manager until it expires, and the executor's host states, events, alerts (each said
 * once) and the restart's compare-and-set move of a VM record.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { setupTestDb, testHost, testTemplate } from '../../db/test/helpers.ts';

// HA alerts go to the alert webhook like every other alert: a receiver on loopback records them.
const received: { state: string; object: { id: string }; rule: { name: string }; alert: { message: string } }[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    received.push(JSON.parse(body));
    res.end('ok');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
process.env.VIREO_ALERT_WEBHOOK_URL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
after(() => receiver.close());

const { db, teardown } = await setupTestDb();
// Loaded after DATABASE_URL points at the test database.
const { applyHaMessage } = await import('../src/services/ha/signals.ts');
const { executeHaActions } = await import('../src/services/ha/executor.ts');
const { loadHaSnapshot } = await import('../src/services/ha/loader.ts');
after(teardown);

const { clusters, events, haSignals, alerts, users, vms } = db;
const prisma = db.getDb();

async function hostUuid(id: string): Promise<string> {
  return (
    (await prisma.host.findUniqueOrThrow({ where: { id }, select: { libvirtHostUuid: true } })).libvirtHostUuid ?? ''
  );
}

test('heartbeat reports move last-seen forward only; the reporter cannot speak for itself as a peer', async () => {
  const clusterId = (await clusters.ensure('Default', 'Default')).id;
  const h1 = await testHost(db, 'sig-h1', clusterId);
  const h2 = await testHost(db, 'sig-h2', clusterId);
  const now = Date.now();
  const msg = (unchangedForMs: number, peer: string) => ({
    t: 'ha' as const,
    at: now,
    own: { lastWriteOkAgoMs: 300, selfFenced: [] },
    peers: [{ hostUuid: peer, unchangedForMs }],
  });
  await applyHaMessage(h1, msg(1_000, await hostUuid(h2.id)), now);
  const seen = async (id: string) =>
    (
      await prisma.host.findUniqueOrThrow({ where: { id }, select: { heartbeatSeenAt: true } })
    ).heartbeatSeenAt?.getTime();
  assert.equal(await seen(h2.id), now - 1_000);
  // An older report (another manager's, or a peer that looked earlier) does not pull it back.
  await applyHaMessage(h1, msg(9_000, await hostUuid(h2.id)), now);
  assert.equal(await seen(h2.id), now - 1_000);
  await applyHaMessage(h1, msg(200, await hostUuid(h2.id)), now);
  assert.equal(await seen(h2.id), now - 200);
  const own = await prisma.host.findUniqueOrThrow({ where: { id: h1.id }, select: { heartbeatOwnOkAt: true } });
  assert.equal(own.heartbeatOwnOkAt?.getTime(), now - 300);
  // A host reporting its own file as a peer's: ignored.
  await applyHaMessage(h1, msg(0, await hostUuid(h1.id)), now);
  assert.equal(await seen(h1.id), undefined);
});

test('the monitor lease: one manager at a time, renewed by its holder, taken over once expired', async () => {
  const clusterId = (await clusters.ensure('Default', 'Lease')).id;
  const t = Date.now();
  assert.equal(await haSignals.claimMonitor(clusterId, 'm1', new Date(t), 5_000), true);
  assert.equal(await haSignals.claimMonitor(clusterId, 'm2', new Date(t + 1_000), 5_000), false);
  assert.equal(await haSignals.claimMonitor(clusterId, 'm1', new Date(t + 2_000), 5_000), true);
  assert.equal(await haSignals.claimMonitor(clusterId, 'm2', new Date(t + 6_000), 5_000), false);
  assert.equal(await haSignals.claimMonitor(clusterId, 'm2', new Date(t + 7_500), 5_000), true);
  assert.equal(await haSignals.claimMonitor(clusterId, 'm1', new Date(t + 8_000), 5_000), false);
  await haSignals.releaseMonitors('m2');
  assert.equal(await haSignals.claimMonitor(clusterId, 'm1', new Date(t + 8_100), 5_000), true);
});

test('executor: host states with events and one alert, not-restarted said once, restart moves compare-and-set', async () => {
  const clusterId = (await clusters.ensure('Default', 'Exec')).id;
  const h1 = await testHost(db, 'ex-h1', clusterId);
  const h2 = await testHost(db, 'ex-h2', clusterId);
  const ownerId = (await users.create({ username: 'ex-admin', password: 'pw-admin', role: 'admin' })).id;
  const templateId = (await testTemplate(db, 'ex-tiny')).id;
  const vm = await vms.create({
    uuid: randomUUID(),
    name: 'ex-web',
    templateId,
    ownerId,
    vcpus: 1,
    memoryMiB: 128,
    hostId: h1.id,
    state: 'running',
  });
  await prisma.vm.update({ where: { id: vm.id }, data: { haEnabled: true } });
  assert.deepEqual((await haSignals.clustersToWatch()).includes(clusterId), true);

  const snapshot = await loadHaSnapshot(clusterId);
  await executeHaActions(snapshot, [
    { kind: 'host-state', hostId: h1.id, state: 'unreachable', note: 'host unreachable, VMs still running' },
  ]);
  const row = await haSignals.hostForHa(h1.id);
  assert.equal(row?.haState, 'unreachable');
  assert.equal(row?.haNote, 'host unreachable, VMs still running');
  const firing = async () =>
    (await alerts.listFiring({ ruleId: haSignals.HA_ALERT_RULE_ID })).filter((a) => a.objectId === h1.id);
  assert.equal((await firing()).length, 1);
  assert.match((await firing())[0]?.message ?? '', /VMs still running/);
  // A stale snapshot (it still says 'ok') cannot overwrite a newer state: compare-and-set.
  await executeHaActions(snapshot, [{ kind: 'host-state', hostId: h1.id, state: 'dead', note: 'late' }]);
  assert.equal((await haSignals.hostForHa(h1.id))?.haState, 'unreachable');

  const later = await loadHaSnapshot(clusterId);
  const why = { kind: 'not-restarted' as const, vmId: vm.id, hostId: h1.id, reason: 'no host can take it: full' };
  await executeHaActions(later, [why]);
  await executeHaActions(later, [why]);
  const evs = (await events.listRecent({ hostId: h1.id })).map((e) => e.kind);
  assert.equal(evs.filter((k) => k === 'ha.not-restarted').length, 1, 'said once, not every tick');
  assert.equal(evs.filter((k) => k === 'ha.host-unreachable').length, 1);

  await executeHaActions(later, [{ kind: 'host-state', hostId: h1.id, state: 'ok', note: 'agent back' }]);
  assert.equal((await firing()).length, 0, 'ok resolves the host alert');
  // Each transition reached the webhook: fired with the HA text, then resolved.
  const deadline = Date.now() + 10_000;
  const ofH1 = () => received.filter((p) => p.object.id === h1.id).map((p) => p.state);
  while (!ofH1().includes('resolved') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(ofH1(), ['firing', 'resolved']);
  const fired = received.find((p) => p.object.id === h1.id);
  assert.equal(fired?.rule.name, 'High availability (built in)');
  assert.match(fired?.alert.message ?? '', /VMs still running/);

  // The restart's record move: only from where the step saw it.
  assert.equal(await haSignals.moveForRestart({ vmId: vm.id, fromHostId: h2.id, toHostId: h1.id, reason: 'x' }), false);
  assert.equal(
    await haSignals.moveForRestart({ vmId: vm.id, fromHostId: h1.id, toHostId: h2.id, reason: 'ha restarting' }),
    true,
  );
  assert.equal((await vms.byId(vm.id))?.hostId, h2.id);
  assert.equal(
    await haSignals.moveBack({ vmId: vm.id, fromHostId: h1.id, toHostId: h2.id, reason: 'not restarted' }),
    true,
  );
  assert.equal((await vms.byId(vm.id))?.hostId, h1.id);
});
