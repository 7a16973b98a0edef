import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { alerts } = db;
after(teardown);

test('the migration seeds default rules that read back typed', async () => {
  const rules = await alerts.listRules();
  const offline = rules.find((r) => r.id === 'default-host-offline');
  assert.ok(offline, 'a default host-offline rule');
  assert.equal(offline.metric, 'hostOffline');
  assert.equal(offline.scope, 'hosts');
  assert.equal(offline.enabled, true);
  assert.ok(offline.createdAt instanceof Date && !Number.isNaN(offline.createdAt.getTime()));
  assert.ok(rules.some((r) => r.metric === 'cpu' && r.threshold === 90 && r.forSeconds === 300));
});

test('one open alert per (rule, object); resolving frees the key for the next one', async () => {
  const rule = await alerts.createRule({
    name: 'cpu',
    scope: 'hosts',
    scopeId: null,
    metric: 'cpu',
    threshold: 50,
    forSeconds: 0,
    enabled: true,
  });
  const input = {
    ruleId: rule.id,
    objectType: 'host',
    objectId: 'h1',
    objectName: 'h1',
    value: 60,
    message: 'hot',
  } as const;
  const first = await alerts.open(input);
  assert.ok(first);
  assert.equal(first.state, 'firing');
  assert.equal(await alerts.open(input), null, 'a second open alert is refused');
  const resolved = await alerts.resolve(input, { value: 10 });
  assert.equal(resolved?.id, first.id);
  assert.equal(resolved?.state, 'resolved');
  assert.equal(resolved?.value, 10);
  assert.ok(resolved?.resolvedAt);
  assert.equal(await alerts.resolve(input, { value: 10 }), null, 'nothing left to resolve');
  const again = await alerts.open(input);
  assert.ok(again && again.id !== first.id, 'a new alert after the first resolved');
  const listed = await alerts.list();
  assert.equal(listed[0]?.id, again.id, 'firing first');
  assert.ok(listed.some((a) => a.id === first.id && a.state === 'resolved'));
  await alerts.deleteRule(rule.id);
  assert.equal((await alerts.list()).length, 0, 'alerts go with their rule');
});
