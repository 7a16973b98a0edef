/**
 * The HA snapshot loader on a real (migrated) test database: which hosts count as connected (online
 * and held by a live manager), how many peers read heartbeats, the cluster's timeouts in ms, VMs
 * with their HA settings, groups and whether their host defines them; and haStep over it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb, testHost, testTemplate } from '../../db/test/helpers.ts';

const { db, teardown } = await setupTestDb();
// Loaded after DATABASE_URL points at the test database.
const { loadHaSnapshot } = await import('../src/services/ha/loader.ts');
const { haStep } = await import('../src/services/ha/decide.ts');
after(teardown);

test('loads hosts, signals, config and VMs of one cluster; a silent host with a stale heartbeat is dead', async () => {
  const { clusters, hostDomains, hosts, managers, users, vms, affinityGroups } = db;
  const prisma = db.getDb();
  const clusterId = (await clusters.ensure('Default', 'Default')).id;
  await prisma.cluster.update({
    where: { id: clusterId },
    data: { haHostDownAfterS: 5, haHeartbeatStaleAfterS: 6, haHeartbeatIntervalS: 1, haSelfFenceAfterS: 7 },
  });
  const ownerId = (await users.create({ username: 'admin', password: 'pw-admin', role: 'admin' })).id;
  const templateId = (await testTemplate(db, 'tiny')).id;
  const [h1, h2, h3] = [
    (await testHost(db, 'h1', clusterId)).id,
    (await testHost(db, 'h2', clusterId)).id,
    (await testHost(db, 'h3', clusterId)).id,
  ];
  await managers.register({ id: 'm1', internalUrl: 'http://127.0.0.1:1', hostname: 'm1' });
  const now = Date.now();
  for (const id of [h1, h2, h3]) await hosts.claimLease(id, 'm1');
  await hosts.releaseLease(h3, 'm1');
  await prisma.host.update({
    where: { id: h1 },
    data: { heartbeatOwnOkAt: new Date(now - 500), fenceAgent: 'fence_vireo_lab' },
  });
  await prisma.host.update({ where: { id: h2 }, data: { heartbeatOwnOkAt: new Date(now - 60_000) } });
  await prisma.host.update({
    where: { id: h3 },
    data: {
      lastSeenAt: new Date(now - 30_000),
      heartbeatSeenAt: new Date(now - 30_000),
      fenceAgent: 'fence_vireo_lab',
    },
  });
  const mk = (name: string, hostId: string, memoryMiB = 256) =>
    vms.create({ uuid: randomUUID(), name, templateId, ownerId, vcpus: 1, memoryMiB, hostId, state: 'running' });
  const web = await mk('web', h3);
  const dbVm = await mk('db', h3);
  const plain = await mk('plain', h3);
  await prisma.vm.update({ where: { id: web.id }, data: { haEnabled: true, haPriority: 5, haDependsOnId: dbVm.id } });
  await prisma.vm.update({ where: { id: dbVm.id }, data: { haEnabled: true, haPriority: 1 } });
  await hostDomains.replaceForHost(h3, [{ uuid: web.uuid, name: 'web', state: 'running', vcpus: 1, memoryMiB: 256 }]);
  const group = await affinityGroups.create({ name: 'apart', kind: 'anti-affinity', hard: true });
  await affinityGroups.addVms(group.id, [web.id]);

  const s = await loadHaSnapshot(clusterId, now);
  assert.deepEqual(s.config, {
    hostDownAfterMs: 5000,
    heartbeatStaleAfterMs: 6000,
    heartbeatIntervalMs: 1000,
    selfFenceAfterMs: 7000,
    reserveHostFailures: 0,
    admission: 'warn',
  });
  const byName = new Map(s.hosts.map((h) => [h.name, h]));
  assert.equal(byName.get('h1')?.connected, true);
  assert.equal(byName.get('h2')?.connected, true);
  assert.equal(byName.get('h3')?.connected, false);
  // Only h1 writes its own heartbeat lately: it is h2's and h3's one reporting peer, h1 has none.
  assert.equal(byName.get('h1')?.peersReporting, 0);
  assert.equal(byName.get('h2')?.peersReporting, 1);
  assert.equal(byName.get('h3')?.peersReporting, 1);
  assert.equal(byName.get('h3')?.fenceConfigured, true);
  assert.equal(byName.get('h2')?.fenceConfigured, false);
  assert.equal(byName.get('h3')?.lastSeenAtMs, now - 30_000);
  assert.equal(byName.get('h3')?.haState, 'ok');
  const vmByName = new Map(s.vms.map((v) => [v.name, v]));
  assert.deepEqual(
    { ...vmByName.get('web'), id: undefined, stateChangedAtMs: typeof vmByName.get('web')?.stateChangedAtMs },
    {
      id: undefined,
      stateChangedAtMs: 'number',
      name: 'web',
      hostId: h3,
      state: 'running',
      stateReason: null,
      memoryMiB: 256,
      haEnabled: true,
      haPriority: 5,
      haDependsOnId: dbVm.id,
      groupIds: [group.id],
      domainOnHost: true,
      selfFencedAtMs: null,
    },
  );
  assert.equal(vmByName.get('db')?.domainOnHost, false);
  assert.equal(vmByName.get('plain')?.haEnabled, false);
  assert.equal(plain.hostId, h3);
  assert.deepEqual(
    s.placement.hosts.map((h) => h.name),
    ['h1', 'h2', 'h3'],
  );

  // A manager whose heartbeat is stale: its online hosts are not connected.
  await prisma.manager.update({ where: { id: 'm1' }, data: { heartbeatAt: new Date(now - 60_000) } });
  const stale = await loadHaSnapshot(clusterId, now);
  assert.ok(stale.hosts.every((h) => !h.connected));
  await prisma.manager.update({ where: { id: 'm1' }, data: { heartbeatAt: new Date(now) } });

  // A shut-off HA VM that its host said it stopped itself: the latest such report on its own
  // host is loaded (one on another host is not its current host's word).
  const fenced = await mk('fenced', h1);
  await prisma.vm.update({ where: { id: fenced.id }, data: { haEnabled: true, state: 'shutoff' } });
  const said = (hostId: string, at: number) =>
    prisma.event.create({
      data: { kind: 'ha.self-fenced', severity: 'warning', message: 'x', vmId: fenced.id, hostId, at: new Date(at) },
    });
  await said(h1, now - 9_000);
  await said(h1, now - 4_000);
  await said(h2, now - 1_000);
  const withFenced = await loadHaSnapshot(clusterId, now);
  assert.equal(withFenced.vms.find((v) => v.name === 'fenced')?.selfFencedAtMs, now - 4_000);
  await prisma.vm.delete({ where: { id: fenced.id } });

  const actions = haStep(await loadHaSnapshot(clusterId, now)).actions;
  assert.deepEqual(
    actions.map((a) => `${a.kind}${'hostId' in a ? `:${a.hostId === h3 ? 'h3' : a.hostId}` : ''}`),
    ['host-state:h3', 'fence:h3'],
  );
});
