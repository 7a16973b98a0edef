// The VM list's live patching and URL params: what moves rows (refetch) and what is patched in place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VmView } from '@vireo/api';
import {
  LIST_REFETCH_DEBOUNCE_MS,
  mayMove,
  patchPage,
  removeFromPage,
  scheduleListRefetch,
} from '../src/modules/live/vm-list-cache.ts';
import { formatParams, listFilter, parseParams } from '../src/modules/vms/vm-list-params.ts';

const vm = (id: string, patch: Partial<VmView> = {}): VmView => ({
  id,
  uuid: `uuid-${id}`,
  name: `vm-${id}`,
  state: 'shutoff',
  stateReason: null,
  vcpus: 1,
  memoryMiB: 128,
  hostId: 'h1',
  hostName: 'host-1',
  hostStatus: 'online',
  templateName: 'tiny',
  ownerId: 'u1',
  ownerName: 'alice',
  projectId: null,
  projectName: null,
  cpuUsagePercent: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  startedAt: null,
  tags: [],
  leaseExpiresAt: null,
  ...patch,
});

test('a change to a loaded VM is patched in place; it refetches only if it may move rows', () => {
  const page = { rows: [vm('a'), vm('b')], total: 2 };
  const started = vm('b', { state: 'running', cpuUsagePercent: 3 });
  const byName = patchPage(page, { sort: 'name' }, started);
  assert.equal(byName.page.rows[1], started);
  assert.equal(byName.page.rows[0], page.rows[0], 'other rows keep their identity');
  assert.equal(byName.refetch, false, 'sorted by name, unfiltered: a state change moves nothing');
  assert.equal(patchPage(page, { sort: 'state' }, started).refetch, true);
  assert.equal(patchPage(page, { states: ['shutoff'] }, started).refetch, true, 'it leaves the filter');
  assert.equal(patchPage(page, undefined, vm('a', { name: 'zzz' })).refetch, true, 'renamed: default sort is name');
  assert.equal(patchPage(page, { sort: 'memory' }, vm('a', { memoryMiB: 256 })).refetch, true);
  assert.equal(patchPage(page, { sort: 'name' }, vm('a', { memoryMiB: 256 })).refetch, false);
  assert.equal(mayMove({ hostId: 'h1' }, vm('a'), vm('a', { hostId: 'h2' })), true);
});

test('a VM not in the block (new, or elsewhere in the list) refetches; a removal drops it', () => {
  const page = { rows: [vm('a')], total: 5 };
  const other = patchPage(page, { sort: 'name' }, vm('x'));
  assert.equal(other.page, page, 'unchanged');
  assert.equal(other.refetch, true);
  assert.deepEqual(removeFromPage(page, 'a'), { rows: [], total: 4 });
  assert.equal(removeFromPage(page, 'x'), page);
});

test('URL params: defaults stay out of the URL, junk falls back, filters reach vm.list', () => {
  assert.equal(formatParams(parseParams(new URLSearchParams(''))), '');
  const p = parseParams(new URLSearchParams('q=Web&state=running&host=h1&owner=u1&tag=env:prod&sort=memory&dir=desc'));
  assert.deepEqual(p, {
    q: 'Web',
    state: 'running',
    hostId: 'h1',
    ownerId: 'u1',
    tag: 'env:prod',
    leaseDays: null,
    sort: 'memory',
    dir: 'desc',
  });
  assert.equal(formatParams(p), '?q=Web&state=running&host=h1&owner=u1&tag=env%3Aprod&sort=memory&dir=desc');
  assert.deepEqual(listFilter(p), {
    sort: 'memory',
    dir: 'desc',
    name: 'Web',
    states: ['running'],
    hostId: 'h1',
    ownerId: 'u1',
    tag: 'env:prod',
  });
  const junk = parseParams(new URLSearchParams('state=bogus&sort=ram&dir=up&tag=Not%20a%20tag&lease=5'));
  assert.deepEqual(junk, {
    q: '',
    state: null,
    hostId: null,
    ownerId: null,
    tag: null,
    leaseDays: null,
    sort: 'name',
    dir: 'asc',
  });
});

test('URL params: "lease expires within" days reach vm.list as leaseBefore, from the current minute', () => {
  const p = parseParams(new URLSearchParams('lease=7&sort=lease'));
  assert.equal(p.leaseDays, 7);
  assert.equal(p.sort, 'lease');
  assert.equal(formatParams(p), '?lease=7&sort=lease');
  const before = Date.parse(listFilter(p).leaseBefore ?? '');
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  assert.ok(before === minute + 7 * 86_400_000 || before === minute + 60_000 + 7 * 86_400_000);
});

test('refetches are debounced: a storm of changes costs at most one a second, a lone one 300 ms later', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let refetches = 0;
  const queryClient = {
    invalidateQueries: async () => {
      refetches++;
    },
  } as unknown as Parameters<typeof scheduleListRefetch>[0];
  const trpc = { vm: { list: { pathKey: () => [['vm', 'list']] } } } as unknown as Parameters<
    typeof scheduleListRefetch
  >[1];
  // 5 s of changes, one every 50 ms.
  for (let i = 0; i < 100; i++) {
    scheduleListRefetch(queryClient, trpc);
    t.mock.timers.tick(50);
  }
  assert.ok(refetches >= 4 && refetches <= 5, `${refetches} refetches for 100 changes`);
  t.mock.timers.tick(LIST_REFETCH_DEBOUNCE_MS);
  const afterStorm = refetches;
  scheduleListRefetch(queryClient, trpc);
  t.mock.timers.tick(LIST_REFETCH_DEBOUNCE_MS - 1);
  assert.equal(refetches, afterStorm, 'not before the quiet time');
  t.mock.timers.tick(1);
  assert.equal(refetches, afterStorm + 1);
});
