import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import type { DomainEvent, HypervisorConnection } from '../src/hypervisor.ts';
import { LibvirtDbusHypervisor } from '../src/libvirt-dbus.ts';
import { FakeWorld } from './fake-bus.ts';

const UUID = '8b3c0c1e-0000-4000-8000-000000000001';

async function until(what: string, cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function connected(world: FakeWorld) {
  const errors: Error[] = [];
  const hv = new LibvirtDbusHypervisor({
    bus: world.factory,
    reconnectBackoff: { initialMs: 10, maxMs: 40 },
    onError: (e) => errors.push(e),
  });
  await hv.connect();
  const changes: HypervisorConnection[] = [];
  const events: DomainEvent[] = [];
  hv.onConnectionChange((c) => changes.push(c));
  hv.onDomainEvent((e) => events.push(e));
  return { hv, changes, events, errors };
}

async function rejectsUnreachable(p: Promise<unknown>): Promise<void> {
  const started = Date.now();
  await assert.rejects(p, (e) => VireoError.is(e, 'LIBVIRT_ERROR') && /not reachable on this host/.test(e.message));
  assert.ok(Date.now() - started < 500, 'fails fast');
}

test('libvirt-dbus restart: calls fail fast, the new one is called so it sends events again, up is reported', async () => {
  const world = new FakeWorld();
  const { hv, changes, events } = await connected(world);
  try {
    world.libvirtUp = false;
    world.bus.ownerChanged(':1.5', '');
    assert.deepEqual(changes, [{ up: false, reason: 'libvirt-dbus left the system bus' }]);
    await rejectsUnreachable(hv.listDomains());

    world.libvirtUp = true;
    const back = Date.now();
    world.bus.ownerChanged('', ':1.9');
    await until('up again', () => changes.length === 2);
    assert.deepEqual(changes[1], { up: true });
    assert.ok(world.pokes(back).length >= 1, 'the new libvirt-dbus was called');
    assert.equal(world.buses.length, 1, 'the bus connection itself was fine');
    assert.deepEqual(await hv.listDomains(), []);
    world.bus.domainEvent(UUID);
    assert.deepEqual(events, [{ uuid: UUID, name: '', event: 'started', detail: 'booted' }]);
  } finally {
    await hv.close();
  }
});

test('a new owner without a gap (restart seen late) still counts as a loss and a recovery', async () => {
  const world = new FakeWorld();
  const { hv, changes } = await connected(world);
  try {
    world.bus.ownerChanged(':1.5', ':1.9');
    await until('up again', () => changes.length === 2);
    assert.deepEqual(changes, [{ up: false, reason: 'libvirt-dbus restarted' }, { up: true }]);
  } finally {
    await hv.close();
  }
});

test('bus connection ends: calls in flight fail at once, a new bus gets the match rules back', async () => {
  const world = new FakeWorld();
  const { hv, changes, events } = await connected(world);
  try {
    const first = world.bus;
    world.hang.add('ListDomains');
    const inFlight = hv.listDomains();
    first._connection.emit('end');
    await rejectsUnreachable(inFlight);
    assert.deepEqual(changes[0], { up: false, reason: 'the D-Bus connection was closed' });
    assert.ok(first.disconnected);

    world.hang.clear();
    await until('up again', () => changes.length === 2);
    const second = world.bus;
    assert.notEqual(second, first);
    const rules = world.calls.filter((c) => c.bus === second && c.msg.member === 'AddMatch').map((c) => c.msg.body[0]);
    assert.equal(rules.length, 2);
    assert.match(rules[0], /member='DomainEvent'/);
    assert.match(rules[1], /member='NameOwnerChanged',arg0='org.libvirt'/);
    second.domainEvent(UUID, 5, 1); // stopped/destroyed
    first.domainEvent(UUID); // a dead connection's leftovers are not ours any more
    assert.deepEqual(
      events.map((e) => `${e.event}/${e.detail}`),
      ['stopped/destroyed'],
    );
  } finally {
    await hv.close();
  }
});

test('bus error: reported once, then the same recovery', async () => {
  const world = new FakeWorld();
  const { hv, changes, errors } = await connected(world);
  try {
    world.bus.emit('error', new Error('read ECONNRESET'));
    await until('up again', () => changes.length === 2);
    assert.equal(errors.length, 1);
    assert.match((changes[0] as { reason: string }).reason, /ECONNRESET/);
    assert.equal(world.buses.length, 2);
  } finally {
    await hv.close();
  }
});

test('while libvirt-dbus stays away, retries back off to the cap and stop on close', async () => {
  const world = new FakeWorld();
  const { hv, changes } = await connected(world);
  world.libvirtUp = false;
  const lost = Date.now();
  world.bus.ownerChanged(':1.5', '');
  await until('8 retries', () => world.pokes(lost).length >= 8, 3000);
  const at = world.pokes(lost).map((p) => p.at);
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  // 10 ms doubling, capped at 40 ms (jitter halves at most): uncapped, the 8th gap alone is ≥ 640 ms.
  assert.ok(Math.max(...gaps) < 200, `gaps ${gaps.join(', ')} ms`);
  assert.deepEqual(changes, [{ up: false, reason: 'libvirt-dbus left the system bus' }]);

  await hv.close();
  const before = world.pokes().length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(world.pokes().length, before, 'no retries after close');
});

test('the first connection is not retried: a host without libvirt-dbus is reported at start', async () => {
  const world = new FakeWorld();
  world.libvirtUp = false;
  const hv = new LibvirtDbusHypervisor({ bus: world.factory });
  await assert.rejects(hv.connect(), (e) => VireoError.is(e, 'LIBVIRT_ERROR') && /ServiceUnknown/.test(e.message));
  assert.ok(world.bus.disconnected);
});
