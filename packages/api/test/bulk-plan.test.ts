import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PlanVm, planBulk } from '../src/services/bulk-plan.ts';

const vm = (name: string, state: PlanVm['state'], extra: Partial<PlanVm> = {}): PlanVm => ({
  id: `id-${name}`,
  name,
  state,
  hostStatus: 'online',
  tags: [],
  ...extra,
});

test('start runs on stopped VMs and says why the others are skipped', () => {
  const plan = planBulk('start', [
    vm('a', 'shutoff'),
    vm('b', 'running'),
    vm('c', 'crashed'),
    vm('d', 'shutoff', { hostStatus: 'offline' }),
    vm('e', 'creating'),
    vm('f', 'paused'),
  ]);
  assert.deepEqual(
    plan.items.map((i) => [i.vmName, i.outcome, i.message]),
    [
      ['a', 'run', 'will be started'],
      ['b', 'skip', 'Skipped: already running'],
      ['c', 'run', 'will be started'],
      ['d', 'skip', 'Skipped: its host is offline'],
      ['e', 'skip', 'Skipped: busy (creating)'],
      ['f', 'skip', 'Skipped: cannot start while paused'],
    ],
  );
  assert.equal(plan.run, 2);
  assert.equal(plan.skip, 4);
});

test('shutdown, force off and delete follow the VM states vm-service allows', () => {
  const vms = [
    vm('on', 'running'),
    vm('off', 'shutoff'),
    vm('lost', 'unknown'),
    vm('nohost', 'running', { hostStatus: null }),
  ];
  const outcome = (action: 'shutdown' | 'forceOff' | 'delete') =>
    planBulk(action, vms).items.map((i) => `${i.vmName}:${i.outcome}`);
  assert.deepEqual(outcome('shutdown'), ['on:run', 'off:skip', 'lost:skip', 'nohost:skip']);
  assert.deepEqual(outcome('forceOff'), ['on:run', 'off:skip', 'lost:run', 'nohost:skip']);
  assert.deepEqual(outcome('delete'), ['on:skip', 'off:run', 'lost:run', 'nohost:skip']);
  assert.equal(planBulk('delete', vms).items[0]?.message, 'Skipped: running: shut it down first');
  assert.equal(planBulk('shutdown', vms).items[1]?.message, 'Skipped: already off');
});

test('tag and untag skip VMs that already have (or lack) the tag, whatever their state or host', () => {
  const vms = [vm('a', 'running', { tags: ['web'] }), vm('b', 'shutoff', { hostStatus: 'offline' })];
  assert.deepEqual(
    planBulk('tag', vms, 'web').items.map((i) => [i.outcome, i.message]),
    [
      ['skip', 'Skipped: already has tag "web"'],
      ['run', 'will get tag "web"'],
    ],
  );
  assert.deepEqual(
    planBulk('untag', vms, 'web').items.map((i) => i.outcome),
    ['run', 'skip'],
  );
});

test('snapshot: with memory while running or paused, disk-only when off, skipped otherwise', () => {
  const plan = planBulk('snapshot', [vm('on', 'running'), vm('off', 'shutoff'), vm('p', 'paused'), vm('c', 'crashed')]);
  assert.deepEqual(
    plan.items.map((i) => [i.vmName, i.outcome, i.message]),
    [
      ['on', 'run', 'will get a snapshot with memory (it keeps running)'],
      ['off', 'run', 'will get a disk-only snapshot'],
      ['p', 'run', 'will get a snapshot with memory (it keeps running)'],
      ['c', 'skip', 'Skipped: cannot snapshot while crashed'],
    ],
  );
});

test('a VM the caller’s role cannot act on is skipped first, naming the permission the run checks', () => {
  const plan = planBulk('delete', [vm('a', 'shutoff', { allowed: false }), vm('b', 'running', { allowed: false })]);
  assert.deepEqual(
    plan.items.map((i) => [i.outcome, i.message]),
    [
      ['skip', 'Skipped: your role does not allow delete on it'],
      ['skip', 'Skipped: your role does not allow delete on it'],
    ],
  );
});
