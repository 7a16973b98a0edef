/** Lease rules (pure): the default expiry, the latest extension, and the sweep's step per moment. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultExpiry, deleteAt, latestExpiry, leaseStep } from '../src/services/lease-policy.ts';

const DAY = 86_400_000;
const policy = { defaultDays: 7, maxDays: 30, graceDays: 3, reminderDays: 2 };
const t0 = new Date('2026-03-01T00:00:00Z');
const d = (days: number) => new Date(t0.getTime() + days * DAY);

test('a project with a default lease gives new VMs one; without, none', () => {
  assert.deepEqual(defaultExpiry(policy, t0), d(7));
  assert.equal(defaultExpiry({ ...policy, defaultDays: null }, t0), null);
  assert.equal(defaultExpiry(null, t0), null);
});

test('an extension goes at most maxDays from now (defaultDays when no max; no limit without policy)', () => {
  assert.deepEqual(latestExpiry(policy, t0), d(30));
  assert.deepEqual(latestExpiry({ ...policy, maxDays: null }, t0), d(7));
  assert.equal(latestExpiry(null, t0), null);
});

test('the sweep reminds within the reminder period, stops at expiry, deletes after the grace period', () => {
  const l = { expiresAt: d(10), remindedAt: null, stoppedAt: null, policy };
  assert.equal(leaseStep(l, d(7.9)), null, 'before the reminder period');
  assert.equal(leaseStep(l, d(8)), 'remind');
  assert.equal(leaseStep({ ...l, remindedAt: d(8) }, d(9)), null, 'reminded once');
  assert.equal(leaseStep({ ...l, remindedAt: d(8) }, d(10)), 'stop');
  assert.equal(leaseStep(l, d(10)), 'stop', 'a missed reminder does not hold back the stop');
  assert.equal(leaseStep({ ...l, stoppedAt: d(10) }, d(12.9)), null, 'in the grace period');
  assert.deepEqual(deleteAt(l), d(13));
  assert.equal(leaseStep({ ...l, stoppedAt: d(10) }, d(13)), 'delete');
  assert.equal(leaseStep(l, d(20)), 'stop', 'never deleted before its stop was recorded');
  assert.equal(leaseStep({ ...l, expiresAt: null }, d(20)), null, 'no lease, nothing');
});
