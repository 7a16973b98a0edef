import assert from 'node:assert/strict';
import { test } from 'node:test';
import { haStep, whatIfHostFails } from '../src/services/ha/decide.ts';
import type { HaAction, HaConfig, HaHost, HaSnapshot, HaVm } from '../src/services/ha/types.ts';
import type { HostSnapshot } from '../src/services/placement/types.ts';

const NOW = 1_800_000_000_000;
const config: HaConfig = {
  hostDownAfterMs: 10_000,
  heartbeatStaleAfterMs: 10_000,
  heartbeatIntervalMs: 2_000,
  selfFenceAfterMs: 10_000,
  reserveHostFailures: 0,
  admission: 'warn',
};

function host(id: string, over: Partial<HaHost> = {}): HaHost {
  return {
    id,
    name: id,
    clusterId: 'c1',
    connected: true,
    lastSeenAtMs: NOW,
    heartbeatSeenAtMs: NOW,
    peersReporting: 2,
    fenceConfigured: true,
    maintenance: false,
    haState: 'ok',
    haStateAtMs: null,
    ...over,
  };
}

/** Dead for long enough: agent gone 30 s, heartbeat unchanged 30 s. */
const gone = (over: Partial<HaHost> = {}) => ({
  connected: false,
  lastSeenAtMs: NOW - 30_000,
  heartbeatSeenAtMs: NOW - 30_000,
  ...over,
});

function vm(id: string, hostId: string, over: Partial<HaVm> = {}): HaVm {
  return {
    id,
    name: id,
    hostId,
    state: 'running',
    stateReason: null,
    memoryMiB: 1024,
    haEnabled: true,
    haPriority: 0,
    haDependsOnId: null,
    groupIds: [],
    domainOnHost: true,
    ...over,
  };
}

function snapshot(hosts: HaHost[], vms: HaVm[], memoryMiB: Record<string, number> = {}): HaSnapshot {
  const placementHosts: HostSnapshot[] = hosts.map((h) => ({
    id: h.id,
    name: h.name,
    clusterId: 'c1',
    clusterName: 'Default',
    status: h.connected ? 'online' : 'offline',
    maintenance: h.maintenance,
    domainTypes: ['qemu'],
    memoryMiB: memoryMiB[h.id] ?? 8192,
    cpuUsagePercent: 0,
    allocations: vms
      .filter((v) => v.hostId === h.id)
      .map((v) => ({ vmId: v.id, vmName: v.name, memoryMiB: v.memoryMiB })),
  }));
  return {
    nowMs: NOW,
    clusterId: 'c1',
    config,
    hosts,
    vms,
    placement: { hosts: placementHosts, groups: [], reserveMiB: 0 },
  };
}

const kinds = (actions: HaAction[]) => actions.map((a) => `${a.kind}${'state' in a ? `:${a.state}` : ''}`);
const restarts = (actions: HaAction[]) =>
  actions.flatMap((a) => (a.kind === 'restart' ? [`${a.vmId}->${a.toHostId}`] : []));

test('a connected host is ok; one coming back after a failure goes back to ok with "agent back"', () => {
  assert.deepEqual(haStep(snapshot([host('h1'), host('h2')], [])).actions, []);
  const back = haStep(snapshot([host('h1', { haState: 'fenced' })], [])).actions;
  assert.deepEqual(back, [{ kind: 'host-state', hostId: 'h1', state: 'ok', note: 'agent back' }]);
});

test('disconnected for less than hostDownAfter: nothing yet', () => {
  const s = snapshot(
    [host('h1', { connected: false, lastSeenAtMs: NOW - 9_000, heartbeatSeenAtMs: NOW - 20_000 })],
    [],
  );
  assert.deepEqual(haStep(s).actions, []);
});

test('agent gone but a peer sees its heartbeat change: unreachable, VMs still running, nothing restarted', () => {
  const s = snapshot(
    [host('h1', gone({ heartbeatSeenAtMs: NOW - 3_000 })), host('h2')],
    [vm('a', 'h1'), vm('b', 'h1')],
  );
  const actions = haStep(s).actions;
  assert.deepEqual(actions, [
    { kind: 'host-state', hostId: 'h1', state: 'unreachable', note: 'host unreachable, VMs still running' },
  ]);
});

test('no peer reads heartbeats: unreachable, cannot tell, no restart', () => {
  const s = snapshot([host('h1', gone({ peersReporting: 0 })), host('h2')], [vm('a', 'h1')]);
  const actions = haStep(s).actions;
  assert.deepEqual(kinds(actions), ['host-state:unreachable']);
  assert.match((actions[0] as { note: string }).note, /no other host .* can read its storage heartbeat/);
});

test('agent gone and heartbeat stale: dead, and fenced when it has a fence device', () => {
  const s = snapshot([host('h1', gone()), host('h2')], [vm('a', 'h1')]);
  const actions = haStep(s).actions;
  assert.deepEqual(kinds(actions), ['host-state:dead', 'fence']);
  assert.deepEqual(restarts(actions), []);
});

test('dead without a fence device: self-fence wait, restarts only after stale + selfFence + one interval', () => {
  const h = host('h1', gone({ fenceConfigured: false, heartbeatSeenAtMs: NOW - 12_000, lastSeenAtMs: NOW - 12_000 }));
  const first = haStep(snapshot([h, host('h2')], [vm('a', 'h1')])).actions;
  assert.deepEqual(kinds(first), ['host-state:dead', 'host-state:self-fence-wait']);
  assert.match((first[1] as { note: string }).note, /may restart from .*Z, when it must have stopped them itself/);
  const waiting = { ...h, haState: 'self-fence-wait' as const };
  // 12 s since the heartbeat stopped; 22 s needed: not yet.
  assert.deepEqual(haStep(snapshot([waiting, host('h2')], [vm('a', 'h1')])).actions, []);
  const later = { ...waiting, heartbeatSeenAtMs: NOW - 22_000, lastSeenAtMs: NOW - 22_000 };
  assert.deepEqual(restarts(haStep(snapshot([later, host('h2')], [vm('a', 'h1')])).actions), ['a->h2']);
});

test('fence failed: an alert and no restart until the self-fence wait is over', () => {
  const h = host('h1', gone({ haState: 'fence-failed', heartbeatSeenAtMs: NOW - 15_000, lastSeenAtMs: NOW - 15_000 }));
  const actions = haStep(snapshot([h, host('h2')], [vm('a', 'h1')])).actions;
  assert.deepEqual(kinds(actions), ['alert']);
  const over = { ...h, heartbeatSeenAtMs: NOW - 25_000, lastSeenAtMs: NOW - 25_000 };
  assert.deepEqual(kinds(haStep(snapshot([over, host('h2')], [vm('a', 'h1')])).actions), ['restart']);
});

test('fenced: HA VMs restart, highest priority first; non-HA and shut-off VMs do not', () => {
  const s = snapshot(
    [host('h1', gone({ haState: 'fenced' })), host('h2'), host('h3')],
    [
      vm('low', 'h1', { haPriority: 1 }),
      vm('high', 'h1', { haPriority: 9 }),
      vm('plain', 'h1', { haEnabled: false }),
      vm('off', 'h1', { state: 'shutoff' }),
    ],
  );
  const actions = haStep(s).actions;
  assert.deepEqual(
    actions.filter((a) => a.kind === 'restart').map((a) => a.vmId),
    ['high', 'low'],
  );
  // Balanced placement: the second restart goes to the other host, since the first took memory.
  assert.deepEqual(new Set(restarts(actions).map((r) => r.split('->')[1])), new Set(['h2', 'h3']));
});

test('capacity taken by earlier restarts counts; a VM that fits nowhere is not restarted, with the reason', () => {
  const s = snapshot(
    [host('h1', gone({ haState: 'fenced' })), host('h2')],
    [vm('a', 'h1', { memoryMiB: 3000, haPriority: 2 }), vm('b', 'h1', { memoryMiB: 3000, haPriority: 1 })],
    { h2: 4096 },
  );
  const actions = haStep(s).actions;
  assert.deepEqual(restarts(actions), ['a->h2']);
  const refused = actions.find((a) => a.kind === 'not-restarted');
  assert.ok(refused && refused.kind === 'not-restarted');
  assert.equal(refused.vmId, 'b');
  assert.match(refused.reason, /h2: memory: /);
});

test('hosts in maintenance or not ok take no restarts', () => {
  const s = snapshot(
    [
      host('h1', gone({ haState: 'fenced' })),
      host('h2', { maintenance: true }),
      host('h3', { haState: 'unreachable', connected: false, lastSeenAtMs: NOW }),
    ],
    [vm('a', 'h1')],
  );
  assert.equal(haStep(s).actions.filter((a) => a.kind === 'not-restarted').length, 1);
});

test('dependencies: a VM waits for the VM it depends on to run; it goes if that one is not HA or cannot restart', () => {
  const hosts = [host('h1', gone({ haState: 'fenced' })), host('h2')];
  const waits = haStep(
    snapshot(hosts, [vm('app', 'h1', { haPriority: 9, haDependsOnId: 'db' }), vm('db', 'h1')]),
  ).actions;
  assert.deepEqual(restarts(waits), ['db->h2']);
  const after = haStep(
    snapshot(hosts, [vm('app', 'h1', { haDependsOnId: 'db' }), vm('db', 'h2', { state: 'running' })]),
  ).actions;
  assert.deepEqual(restarts(after), ['app->h2']);
  assert.match((after[0] as { why: string }).why, /after db, which runs/);
  const notHa = haStep(
    snapshot(hosts, [vm('app', 'h1', { haDependsOnId: 'db' }), vm('db', 'h1', { haEnabled: false })]),
  ).actions;
  assert.deepEqual(restarts(notHa), ['app->h2']);
  assert.match((notHa[0] as { why: string }).why, /db, which is not HA/);
  const tooBig = haStep(
    snapshot(hosts, [vm('app', 'h1', { haDependsOnId: 'db' }), vm('db', 'h1', { memoryMiB: 100_000 })]),
  ).actions;
  assert.deepEqual(restarts(tooBig), ['app->h2']);
  assert.match((tooBig.find((a) => a.kind === 'restart') as { why: string }).why, /cannot be restarted/);
});

test('an interrupted restart (record on an ok host, "ha restarting", no domain) is restarted on the same host', () => {
  const s = snapshot(
    [host('h1', gone({ haState: 'fenced' })), host('h2')],
    [vm('a', 'h2', { stateReason: 'ha restarting', domainOnHost: false, state: 'unknown' })],
  );
  const actions = haStep(s).actions;
  assert.deepEqual(
    actions.filter((a) => a.kind === 'restart'),
    [
      {
        kind: 'restart',
        vmId: 'a',
        fromHostId: 'h2',
        toHostId: 'h2',
        why: 'its restart on h2 was interrupted: started again there',
      },
    ],
  );
  // One still under way (moved 5 s ago) is left alone: a start takes a moment.
  const underWay = snapshot(
    [host('h1', gone({ haState: 'fenced' })), host('h2')],
    [
      vm('a', 'h2', {
        stateReason: 'ha restarting',
        domainOnHost: false,
        state: 'unknown',
        stateChangedAtMs: NOW - 5_000,
      }),
    ],
  );
  assert.deepEqual(haStep(underWay).actions, []);
  const old = { ...underWay, vms: underWay.vms.map((v) => ({ ...v, stateChangedAtMs: NOW - 31_000 })) };
  assert.deepEqual(restarts(haStep(old).actions), ['a->h2']);
});

test('a fence run stuck in "fencing" for long (manager died) is run again', () => {
  const recent = host('h1', gone({ haState: 'fencing', haStateAtMs: NOW - 5_000 }));
  assert.deepEqual(haStep(snapshot([recent, host('h2')], [])).actions, []);
  const stuck = { ...recent, haStateAtMs: NOW - 200_000 };
  assert.deepEqual(kinds(haStep(snapshot([stuck, host('h2')], [])).actions), ['fence']);
});

test('what-if: restarts with targets and reasons, those that would not, those without HA', () => {
  const s = snapshot(
    [host('h1'), host('h2'), host('h3')],
    [
      vm('web', 'h1', { haPriority: 5, haDependsOnId: 'db' }),
      vm('db', 'h1', { haPriority: 1 }),
      vm('huge', 'h1', { memoryMiB: 50_000 }),
      vm('scratch', 'h1', { haEnabled: false }),
      vm('elsewhere', 'h2'),
    ],
  );
  const w = whatIfHostFails(s, 'h1');
  assert.equal(w.hostName, 'h1');
  assert.deepEqual(
    w.restarts.map((r) => r.vmName),
    ['db', 'web'],
  );
  assert.ok(w.restarts.every((r) => r.toHostId === 'h2' || r.toHostId === 'h3'));
  assert.match(w.restarts[1]?.why ?? '', /after db/);
  assert.deepEqual(
    w.notRestarted.map((r) => r.vmName),
    ['huge'],
  );
  assert.deepEqual(w.notProtected, [{ vmId: 'scratch', vmName: 'scratch' }]);
  assert.match(w.recovery ?? '', /fenced/);
  // The snapshot given is not changed.
  assert.equal(s.hosts[0]?.connected, true);
  const noFence = whatIfHostFails(
    snapshot([host('h1', { fenceConfigured: false }), host('h2')], [vm('a', 'h1')]),
    'h1',
  );
  assert.match(noFence.recovery ?? '', /no fence device/);
  assert.deepEqual(
    noFence.restarts.map((r) => r.toHostName),
    ['h2'],
  );
});

test('hard anti-affinity counts restarts of the same step: partners go to different hosts, or not at all', () => {
  const group = { id: 'g', name: 'apart', kind: 'anti-affinity' as const, hard: true, hostIds: [] };
  const withGroup = (s: HaSnapshot): HaSnapshot => ({
    ...s,
    placement: {
      ...s.placement,
      groups: [
        {
          ...group,
          members: s.vms
            .filter((v) => v.groupIds.includes('g'))
            .map((v) => ({ vmId: v.id, vmName: v.name, hostId: v.hostId })),
        },
      ],
    },
  });
  const vms = [vm('a', 'h1', { groupIds: ['g'], haPriority: 2 }), vm('b', 'h1', { groupIds: ['g'], haPriority: 1 })];
  const two = haStep(withGroup(snapshot([host('h1', gone({ haState: 'fenced' })), host('h2'), host('h3')], vms)));
  assert.deepEqual(new Set(restarts(two.actions).map((r) => r.split('->')[1])), new Set(['h2', 'h3']));
  const one = haStep(withGroup(snapshot([host('h1', gone({ haState: 'fenced' })), host('h2')], vms))).actions;
  assert.deepEqual(restarts(one), ['a->h2']);
  const refused = one.find((a) => a.kind === 'not-restarted');
  assert.ok(refused?.kind === 'not-restarted');
  assert.match(refused.reason, /h2: affinity: anti-affinity group apart: a runs here/);
});

test('a connected host that lost only its storage: the HA VMs it stopped itself restart on another host', () => {
  // h1 said at NOW-5 s that it forced a and b off; their states changed then. c was shut off by
  // an admin (no self-fence), d was self-fenced but started and stopped again a minute later.
  const fencedAt = NOW - 5_000;
  const off = {
    state: 'shutoff',
    stateReason: 'destroyed',
    stateChangedAtMs: fencedAt - 200,
    selfFencedAtMs: fencedAt,
  };
  const vms = [
    vm('a', 'h1', { ...off, haPriority: 5 }),
    vm('b', 'h1', { ...off, haDependsOnId: 'a' }),
    vm('c', 'h1', { state: 'shutoff', stateReason: 'shutdown', stateChangedAtMs: fencedAt }),
    vm('d', 'h1', { ...off, stateChangedAtMs: fencedAt + 60_000 }),
  ];
  const first = haStep(snapshot([host('h1'), host('h2')], vms)).actions;
  assert.deepEqual(restarts(first), ['a->h2'], 'never on its own host; b waits for a; c and d are not HA’s');
  const a = first.find((x) => x.kind === 'restart');
  assert.match(a?.kind === 'restart' ? a.why : '', /h1 lost its storage heartbeat and stopped it/);
  assert.deepEqual(kinds(first), ['restart'], 'h1 stays ok: its agent is connected');
  // With only its own host left, it is not restarted, and that is said.
  const alone = haStep(snapshot([host('h1')], [vm('a', 'h1', off)])).actions;
  assert.deepEqual(kinds(alone), ['not-restarted']);
});
