// Leases in the database: a project's policy reaches its VMs' leases, the sweep's steps are
// claimed once per expiry (two managers racing: one wins), a new expiry starts the steps over,
// and the VM list sorts by expiry (no lease last, either way) and filters "expires before".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setupTestDb, testHost, testTemplate, testVm } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { leases, projects, vms } = db;
after(teardown);

const DAY = 86_400_000;
const t0 = new Date('2026-06-01T00:00:00Z');
const d = (days: number) => new Date(t0.getTime() + days * DAY);
const ids: Record<string, string> = {};

before(async () => {
  const clusterId = (await db.clusters.ensure('Default', 'Default')).id;
  const ownerId = (await db.users.create({ username: 'owner', password: 'pw-owner-1', role: 'user' })).id;
  const hostId = (await testHost(db, 'h1', clusterId)).id;
  const templateId = (await testTemplate(db, 'tpl')).id;
  for (const name of ['a', 'b', 'c', 'none'])
    ids[name] = (await testVm(db, `lease-${name}`, { hostId, templateId, ownerId })).id;
});

test('a project policy reaches its VMs; the reminder and the stop are claimed once per expiry', async () => {
  const p = await projects.create({ name: 'leased' });
  assert.equal(await leases.setPolicy(p.id, { defaultDays: 7, maxDays: 30, graceDays: 2, reminderDays: 3 }), true);
  assert.equal(await leases.setPolicy('nope', { defaultDays: 1, maxDays: 1, graceDays: 1, reminderDays: 1 }), false);
  await db.getDb().vm.update({ where: { id: ids.a }, data: { projectId: p.id } });
  await leases.setExpiry(ids.a as string, d(10));
  const l = await leases.ofVm(ids.a as string);
  assert.deepEqual(l?.policy, { defaultDays: 7, maxDays: 30, graceDays: 2, reminderDays: 3 });
  assert.equal(await leases.longestReminderDays(), 3);

  const race = await Promise.all([
    leases.claimReminder(l?.vmId as string, d(10), d(8)),
    leases.claimReminder(l?.vmId as string, d(10), d(8)),
  ]);
  assert.deepEqual(race.sort(), [false, true], 'one of two managers reminds');
  assert.equal(await leases.claimStop(ids.a as string, d(9), d(10)), false, 'a stale expiry claims nothing');
  assert.equal(await leases.claimStop(ids.a as string, d(10), d(10)), true);
  assert.equal(await leases.claimStop(ids.a as string, d(10), d(10)), false, 'stopped once');
  await leases.setExpiry(ids.a as string, d(20));
  const renewed = await leases.ofVm(ids.a as string);
  assert.equal(renewed?.remindedAt, null, 'a new expiry is reminded again');
  assert.equal(renewed?.stoppedAt, null);
});

test('expiringBefore and the VM list: soonest first, no lease last either way, "expires before" filter', async () => {
  await leases.setExpiry(ids.b as string, d(5));
  await leases.setExpiry(ids.c as string, d(12));
  assert.deepEqual(
    (await leases.expiringBefore(d(15))).map((l) => l.name),
    ['lease-b', 'lease-c'],
  );
  const base = { offset: 0, limit: 10, sort: 'lease' } as const;
  const names = async (q: Parameters<typeof vms.page>[0]) => (await vms.page(q)).rows.map((v) => v.name);
  assert.deepEqual(await names({ ...base, dir: 'asc' }), ['lease-b', 'lease-c', 'lease-a', 'lease-none']);
  assert.deepEqual(await names({ ...base, dir: 'desc' }), ['lease-a', 'lease-c', 'lease-b', 'lease-none']);
  assert.deepEqual(await names({ ...base, dir: 'asc', leaseBefore: d(12) }), ['lease-b', 'lease-c']);
  assert.equal((await vms.byId(ids.b as string))?.leaseExpiresAt?.toISOString(), d(5).toISOString());
});
