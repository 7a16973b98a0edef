/**
 * The VM list at 10,000 VMs: pages, totals, sorts, filters and visibility are done by the
 * database through `vm.list`; bad paging input is refused. The VMs are rows seeded straight into
 * the stack's database on a host no agent connects as (tests/support/vm-seed.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { admin, loginAs, rejection, uniqueName } from '../support/api.ts';
import { closeSeedDb, removeSeed, seededName, seededState, seedVms } from '../support/vm-seed.ts';

const COUNT = 10_000;
type Client = Awaited<ReturnType<typeof admin>>;
let root: Client;
let user: Client;
let userId: string;
let adminId: string;
let hostId: string | null = null;
const prefix = uniqueName('ls').toLowerCase();

/** Seeded VM i belongs to ownerIds[i % 2]: admin for even i, the user for odd i. */
const seeded = Array.from({ length: COUNT }, (_, i) => ({ i, name: seededName(prefix, i), state: seededState(i) }));
const count = (pred: (s: (typeof seeded)[number]) => boolean) => seeded.filter(pred).length;

before(async () => {
  root = await admin();
  const username = uniqueName('lister').toLowerCase();
  userId = (await root.api.user.create.mutate({ username, password: 'lister-password-1', role: 'user' })).id;
  user = await loginAs(username, 'lister-password-1');
  const me = await root.api.auth.me.query();
  assert.ok(me);
  adminId = me.id;
  const t0 = performance.now();
  const seed = await seedVms(root.api, prefix, COUNT, [adminId, userId]);
  hostId = seed.hostId;
  assert.equal(seed.count, COUNT);
  console.log(`seeded ${COUNT} VMs in ${Math.round(performance.now() - t0)} ms`);
});

after(async () => {
  if (hostId) assert.equal(await removeSeed(hostId), COUNT);
  await root.api.user.delete.mutate({ userId });
  await closeSeedDb();
});

test('pages cover all 10,000 VMs once, in name order, each with the total', async () => {
  const names: string[] = [];
  for (let offset = 0; offset < COUNT; offset += 500) {
    const page = await root.api.vm.list.query({ name: prefix, offset, limit: 500 });
    assert.equal(page.total, COUNT);
    assert.equal(page.rows.length, 500);
    names.push(...page.rows.map((v) => v.name));
  }
  assert.equal(new Set(names).size, COUNT, 'no VM twice');
  const expected = seeded.map((s) => s.name).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  assert.deepEqual(names, expected);
  const past = await root.api.vm.list.query({ name: prefix, offset: COUNT, limit: 10 });
  assert.deepEqual([past.rows.length, past.total], [0, COUNT]);
  const none = await root.api.vm.list.query({ name: prefix, limit: 0 });
  assert.deepEqual([none.rows.length, none.total], [0, COUNT], 'limit 0: the count only');
});

test('sorts: memory, vCPUs, state and creation, both ways, ties broken by id', async () => {
  for (const sort of ['memory', 'vcpus', 'state', 'created', 'host'] as const) {
    for (const dir of ['asc', 'desc'] as const) {
      const rows = [
        ...(await root.api.vm.list.query({ hostId: hostId as string, sort, dir, limit: 500 })).rows,
        ...(await root.api.vm.list.query({ hostId: hostId as string, sort, dir, offset: 500, limit: 500 })).rows,
      ];
      assert.equal(rows.length, 1000);
      const key = (v: (typeof rows)[number]) =>
        sort === 'memory'
          ? v.memoryMiB
          : sort === 'vcpus'
            ? v.vcpus
            : sort === 'state'
              ? v.state
              : sort === 'host'
                ? (v.hostName ?? '')
                : v.createdAt;
      for (let i = 1; i < rows.length; i++) {
        const [a, b] = [rows[i - 1], rows[i]] as [(typeof rows)[number], (typeof rows)[number]];
        const order = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id < b.id ? -1 : 1;
        assert.equal(
          order,
          dir === 'asc' ? -1 : 1,
          `${sort} ${dir} at row ${i}: ${key(a)}/${a.id} then ${key(b)}/${b.id}`,
        );
      }
    }
  }
});

test('filters: name in any case, states, host; the total follows the filter', async () => {
  const db = await root.api.vm.list.query({ name: `${prefix}-db-`.toUpperCase(), limit: 500 });
  assert.equal(
    db.total,
    count((s) => s.i % 3 === 1),
  );
  assert.ok(db.rows.every((v) => v.name.includes('-DB-')));

  const running = await root.api.vm.list.query({ name: prefix, states: ['running'], limit: 500 });
  assert.equal(
    running.total,
    count((s) => s.state === 'running'),
  );
  assert.ok(running.rows.every((v) => v.state === 'running'));
  const stopped = await root.api.vm.list.query({ name: prefix, states: ['paused', 'shutoff'], limit: 1 });
  assert.equal(
    stopped.total,
    count((s) => s.state !== 'running'),
  );

  const onHost = await root.api.vm.list.query({ hostId: hostId as string, limit: 500, offset: 9_900 });
  assert.deepEqual([onHost.total, onHost.rows.length], [COUNT, 100]);
  assert.ok(onHost.rows.every((v) => v.hostId === hostId));
  assert.equal((await root.api.vm.list.query({ hostId: 'no-such-host' })).total, 0);
  assert.equal((await root.api.vm.list.query({ name: `${prefix}-nothing` })).total, 0);
});

test('a user sees only their own VMs; only admins may ask for another owner', async () => {
  const own = await user.api.vm.list.query({ name: prefix, limit: 500, sort: 'memory', dir: 'desc' });
  assert.equal(
    own.total,
    count((s) => s.i % 2 === 1),
  );
  assert.ok(own.rows.every((v) => v.ownerId === userId));
  const everything = await user.api.vm.list.query({ limit: 500 });
  assert.ok(
    everything.rows.every((v) => v.ownerId === userId),
    'unfiltered too',
  );
  const mine = await user.api.vm.list.query({ ownerId: userId, name: prefix, limit: 0 });
  assert.equal(mine.total, own.total);

  const other = await rejection(user.api.vm.list.query({ ownerId: adminId }));
  assert.equal(other.code, 'FORBIDDEN');
  const byAdmin = await root.api.vm.list.query({ ownerId: userId, name: prefix, limit: 0 });
  assert.equal(byAdmin.total, own.total);
});

test('bad paging input is refused with BAD_INPUT', async () => {
  const cases: [string, unknown, RegExp][] = [
    ['limit too large', { limit: 501 }, /limit must be at most 500/],
    ['negative offset', { offset: -1 }, /offset/],
    ['unknown sort', { sort: 'password' }, /sort/],
    ['unknown direction', { dir: 'up' }, /dir/],
    ['unknown state', { states: ['on'] }, /states/],
    ['unknown key', { owner: 'x' }, /owner/],
    ['fractional limit', { limit: 1.5 }, /limit/],
  ];
  for (const [label, input, message] of cases) {
    const r = await rejection(root.api.vm.list.query(input as { limit: number }));
    assert.equal(r.code, 'BAD_INPUT', `${label}: ${r.message}`);
    assert.match(r.message, message, label);
  }
});

test('first and filtered pages answer quickly at 10,000 VMs', async () => {
  const time = async (input: Parameters<typeof root.api.vm.list.query>[0]) => {
    const ms: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      await root.api.vm.list.query(input);
      ms.push(performance.now() - t0);
    }
    return ms.sort((a, b) => a - b)[Math.ceil(0.95 * ms.length) - 1] as number;
  };
  const first = await time({ limit: 100 });
  const filtered = await time({ name: `${prefix}-web`, states: ['running'], sort: 'memory', dir: 'desc', limit: 100 });
  console.log(`vm.list p95 over HTTP: first page ${first.toFixed(1)} ms, filtered ${filtered.toFixed(1)} ms`);
  // Generous: a loaded 2-core machine shared with other stacks; the benchmark tracks the real figure.
  assert.ok(first < 1_000 && filtered < 1_000, `p95 first ${first} ms, filtered ${filtered} ms`);
});
