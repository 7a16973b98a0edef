/** HA settings: turning HA on is a compare-and-set on the cluster's HA generation (admission races). */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setupTestDb, testHost, testTemplate, testVm } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { clusters, haSettings, users } = db;
after(teardown);

test('two writes checked against one HA generation: exactly one lands; a cluster change also moves it on', async () => {
  const cluster = await clusters.ensure('Default', 'Default');
  const host = await testHost(db, 'has-h1', cluster.id);
  const owner = await users.create({ username: 'haowner', password: 'pw-ha-owner-1', role: 'admin' });
  const template = await testTemplate(db, 'has-t');
  const mk = (name: string) => testVm(db, name, { hostId: host.id, templateId: template.id, ownerId: owner.id });
  const [a, b] = [await mk('has-a'), await mk('has-b')];
  const on = { haEnabled: true, haPriority: 1, haDependsOnId: null };
  const g0 = await haSettings.generation(cluster.id);
  assert.equal(typeof g0, 'number');
  const cas = { clusterId: cluster.id, ifGeneration: g0 as number };
  const results = await Promise.all([haSettings.setVm(a.id, on, cas), haSettings.setVm(b.id, on, cas)]);
  assert.deepEqual([...results].sort(), ['ok', 'stale']);
  const enabled = [(await haSettings.vm(a.id))?.haEnabled, (await haSettings.vm(b.id))?.haEnabled];
  assert.deepEqual(enabled.filter(Boolean).length, 1, 'only the write that won changed its VM');
  assert.equal(await haSettings.generation(cluster.id), (g0 as number) + 1);

  // Any later change (here the cluster's admission settings) makes an older check stale.
  const g1 = (await haSettings.generation(cluster.id)) as number;
  await haSettings.setCluster(cluster.id, {
    hostDownAfterS: 10,
    heartbeatStaleAfterS: 10,
    heartbeatIntervalS: 2,
    selfFenceAfterS: 10,
    reserveHostFailures: 1,
    admission: 'refuse',
  });
  const loser = results[0] === 'ok' ? b : a;
  assert.equal(await haSettings.setVm(loser.id, on, { clusterId: cluster.id, ifGeneration: g1 }), 'stale');
  // Without a check (turning HA off), a write always lands; a VM that is gone changes nothing.
  assert.equal(await haSettings.setVm(loser.id, { ...on, haEnabled: false }), 'ok');
  const g2 = (await haSettings.generation(cluster.id)) as number;
  assert.equal(await haSettings.setVm('no-such-vm', on, { clusterId: cluster.id, ifGeneration: g2 }), 'not-found');
  assert.equal(await haSettings.generation(cluster.id), g2, 'the bump of a failed write is rolled back');
});
