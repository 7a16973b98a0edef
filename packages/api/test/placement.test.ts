import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, explain } from '../src/services/placement/engine.ts';
import type {
  AffinityGroupSnapshot,
  HostSnapshot,
  PlacementDecision,
  PlacementRequest,
  PlacementSnapshot,
} from '../src/services/placement/types.ts';

function host(name: string, over: Partial<HostSnapshot> = {}): HostSnapshot {
  return {
    id: name,
    name,
    clusterId: 'c1',
    clusterName: 'main',
    status: 'online',
    maintenance: false,
    domainTypes: ['qemu'],
    memoryMiB: 4096,
    cpuUsagePercent: 0,
    allocations: [],
    ...over,
  };
}

const vm = (id: string, memoryMiB: number) => ({ vmId: id, vmName: id, memoryMiB });

function snap(hosts: HostSnapshot[], groups: AffinityGroupSnapshot[] = []): PlacementSnapshot {
  return { hosts, groups, reserveMiB: 256 };
}

const verdict = (d: PlacementDecision, name: string) => {
  const v = d.hosts.find((h) => h.hostName === name);
  assert.ok(v, `a verdict for ${name}`);
  return v;
};

function refusedBy(d: PlacementDecision, name: string): string {
  const v = verdict(d, name);
  assert.ok(v.excluded, `${name} should be excluded: ${explain(d)}`);
  return `${v.excluded.filter}: ${v.excluded.reason}`;
}

const req = (over: Partial<PlacementRequest> = {}): PlacementRequest => ({ memoryMiB: 512, ...over });

test('every filter gives its reason', () => {
  const hosts = [
    host('off', { status: 'offline' }),
    host('maint', { maintenance: true }),
    host('left', {}),
    host('other', { clusterId: 'c2', clusterName: 'edge' }),
    host('xen', { domainTypes: ['xen'] }),
    host('none', { domainTypes: [] }),
    host('nonet', {}),
    host('full', { memoryMiB: 556 + 256, allocations: [vm('a', 256)] }),
    host('ok', {}),
  ];
  const allowed = new Set(hosts.map((h) => h.id).filter((id) => id !== 'nonet'));
  const d = decide(
    snap(hosts),
    req({ clusterId: 'c1', domainType: 'qemu', allowedHostIds: allowed, excludeHostIds: ['left'] }),
  );
  assert.equal(refusedBy(d, 'off'), 'online: the host is offline');
  assert.equal(refusedBy(d, 'maint'), 'maintenance: the host is in maintenance mode');
  assert.equal(refusedBy(d, 'left'), 'excluded: left out by the caller');
  assert.equal(refusedBy(d, 'other'), 'cluster: in cluster edge, not the requested main');
  assert.equal(refusedBy(d, 'xen'), 'hypervisor: runs xen, not qemu');
  assert.equal(refusedBy(d, 'none'), 'hypervisor: the host reports no domain type it can run');
  assert.equal(refusedBy(d, 'nonet'), 'networks: lacks one of the networks of the VM’s network cards');
  assert.equal(refusedBy(d, 'full'), 'memory: needs 512 MiB, 300 MiB free');
  assert.deepEqual(d.chosen, { hostId: 'ok', hostName: 'ok' });
  assert.equal(d.hosts[0]?.hostName, 'ok', 'the chosen host comes first');
  assert.ok(verdict(d, 'ok').score, 'the chosen host has a score');
  assert.equal(d.hosts.length, hosts.length, 'every host has a verdict');
});

test('no host fits: no choice, and each host says why', () => {
  const d = decide(snap([host('a', { memoryMiB: 512 }), host('b', { status: 'offline' })]), req());
  assert.equal(d.chosen, null);
  assert.match(explain(d), /a: memory: needs 512 MiB, 256 MiB free/);
  assert.match(explain(d), /b: online: the host is offline/);
});

test('balanced prefers the emptiest host, packed the fullest that fits', () => {
  const hosts = [
    host('busy', { allocations: [vm('a', 1024), vm('b', 1024)] }),
    host('idle', {}),
    host('nearly-full', { allocations: [vm('c', 3000)] }),
    host('too-full', { allocations: [vm('d', 3400)] }),
  ];
  const balanced = decide(snap(hosts), req({ policy: 'balanced' }));
  assert.equal(balanced.chosen?.hostName, 'idle');
  assert.equal(balanced.policy, 'balanced');
  const packed = decide(snap(hosts), req({ policy: 'packed' }));
  assert.equal(packed.chosen?.hostName, 'nearly-full', explain(packed));
  assert.deepEqual(
    packed.hosts.map((h) => h.hostName),
    ['nearly-full', 'busy', 'idle', 'too-full'],
    'candidates by score, then the excluded',
  );
  assert.equal(refusedBy(packed, 'too-full'), 'memory: needs 512 MiB, 440 MiB free', 'packed still needs room');
  const parts = verdict(balanced, 'idle').score?.parts.map((p) => p.weight);
  assert.deepEqual(parts, ['memory', 'cpu', 'spread']);
});

test('CPU load and VM count weigh when memory is equal', () => {
  const loaded = decide(snap([host('hot', { cpuUsagePercent: 90 }), host('cool', { cpuUsagePercent: 10 })]), req());
  assert.equal(loaded.chosen?.hostName, 'cool');
  const hot = verdict(loaded, 'hot').score?.parts.find((p) => p.weight === 'cpu');
  assert.equal(hot?.points, 2);
  assert.equal(hot?.note, '90% CPU in use');
  // Same free memory, but one host runs more (small) VMs: spread prefers the other.
  const crowded = decide(
    snap([
      host('many', { memoryMiB: 4096 + 300, allocations: [vm('a', 100), vm('b', 100), vm('c', 100)] }),
      host('few', { memoryMiB: 4096 + 300, allocations: [vm('d', 300)] }),
    ]),
    req(),
  );
  assert.equal(crowded.chosen?.hostName, 'few', explain(crowded));
});

test('a moved VM’s own memory is not counted twice', () => {
  // src holds the VM (2048 MiB); with it counted, src has 1792 MiB free, without 3840.
  const hosts = [host('src', { allocations: [vm('moving', 2048)] }), host('dst', { allocations: [vm('x', 1024)] })];
  const asNew = decide(snap(hosts), req({ memoryMiB: 2048 }));
  assert.equal(refusedBy(asNew, 'src'), 'memory: needs 2048 MiB, 1792 MiB free');
  const moved = decide(snap(hosts), req({ memoryMiB: 2048, vmId: 'moving' }));
  assert.equal(verdict(moved, 'src').freeMiB, 3840);
  assert.equal(moved.chosen?.hostName, 'src', explain(moved));
  const spread = verdict(moved, 'src').score?.parts.find((p) => p.weight === 'spread');
  assert.equal(spread?.note, '0 VMs on the host', 'nor counted as a VM of its host');
  const away = decide(snap(hosts), req({ memoryMiB: 2048, vmId: 'moving', excludeHostIds: ['src'] }));
  assert.equal(away.chosen?.hostName, 'dst');
});

function group(
  kind: AffinityGroupSnapshot['kind'],
  hard: boolean,
  members: [string, string | null][],
  hostIds: string[] = [],
) {
  return {
    id: 'g',
    name: 'web',
    kind,
    hard,
    members: members.map(([vmId, hostId]) => ({ vmId, vmName: vmId, hostId })),
    hostIds,
  } satisfies AffinityGroupSnapshot;
}

test('hard anti-affinity excludes the hosts of other members', () => {
  const hosts = [host('h1'), host('h2'), host('h3')];
  const g = group('anti-affinity', true, [
    ['web-1', 'h1'],
    ['web-2', 'h2'],
  ]);
  const d = decide(snap(hosts, [g]), req({ groupIds: ['g'] }));
  assert.equal(refusedBy(d, 'h1'), 'affinity: anti-affinity group web: web-1 runs here');
  assert.equal(refusedBy(d, 'h2'), 'affinity: anti-affinity group web: web-2 runs here');
  assert.equal(d.chosen?.hostName, 'h3');
  // Not in the group: the rule does not apply.
  assert.equal(decide(snap(hosts, [g]), req()).hosts.filter((h) => h.excluded).length, 0);
  // A member being moved does not exclude its own host.
  const self = decide(snap(hosts, [g]), req({ groupIds: ['g'], vmId: 'web-1', excludeHostIds: ['h3'] }));
  assert.equal(self.chosen?.hostName, 'h1', explain(self));
});

test('soft anti-affinity is a penalty, not a filter', () => {
  const hosts = [host('h1'), host('h2', { cpuUsagePercent: 80 })];
  const g = group('anti-affinity', false, [['web-1', 'h1']]);
  const d = decide(snap(hosts, [g]), req({ groupIds: ['g'] }));
  assert.equal(d.hosts.filter((h) => h.excluded).length, 0, 'no host excluded');
  const penalty = verdict(d, 'h1').score?.parts.find((p) => p.weight === 'anti-affinity');
  assert.equal(penalty?.points, -50);
  assert.equal(d.chosen?.hostName, 'h2', explain(d));
  // The only host left still takes it.
  const only = decide(snap([host('h1')], [g]), req({ groupIds: ['g'] }));
  assert.equal(only.chosen?.hostName, 'h1');
});

test('hard affinity restricts to the members’ hosts; soft affinity prefers them', () => {
  const hosts = [host('h1'), host('h2', { allocations: [vm('db-1', 1024)] })];
  const hard = group('affinity', true, [['db-1', 'h2']]);
  const d = decide(snap(hosts, [hard]), req({ groupIds: ['g'] }));
  assert.equal(refusedBy(d, 'h1'), 'affinity: affinity group web: its members run elsewhere (db-1 on h2)');
  assert.equal(d.chosen?.hostName, 'h2');
  // The first member goes anywhere.
  const first = decide(snap(hosts, [group('affinity', true, [])]), req({ groupIds: ['g'] }));
  assert.equal(first.chosen?.hostName, 'h1');
  const soft = decide(snap(hosts, [group('affinity', false, [['db-1', 'h2']])]), req({ groupIds: ['g'] }));
  assert.equal(soft.chosen?.hostName, 'h2', explain(soft));
  assert.equal(soft.hosts.filter((h) => h.excluded).length, 0);
});

test('the same state gives the same host (ties by room, then name)', () => {
  const d = decide(snap([host('b'), host('a')]), req());
  assert.equal(d.chosen?.hostName, 'a');
});

test('refusals keep the codes callers know, with each host’s reason', async () => {
  const { chosenHost } = await import('../src/services/placement.ts');
  const codeOf = (d: PlacementDecision, r: PlacementRequest) => {
    try {
      chosenHost(d, r);
    } catch (err) {
      return err as { code: string; message: string };
    }
    assert.fail('expected a refusal');
  };
  const offline = codeOf(decide(snap([host('a', { status: 'offline' })]), req()), req());
  assert.equal(offline.code, 'HOST_OFFLINE');
  assert.match(offline.message, /No host is online.*a: online: the host is offline/);
  const full = codeOf(decide(snap([host('a', { memoryMiB: 600 })]), req()), req());
  assert.equal(full.code, 'NO_HOST_CAPACITY');
  assert.match(full.message, /No online host has 512 MiB .* The most any host has left is 344 MiB \(a\)/);
  const g = group('anti-affinity', true, [['web-1', 'a']]);
  const apart = codeOf(decide(snap([host('a')], [g]), req({ groupIds: ['g'] })), req());
  assert.equal(apart.code, 'NO_HOST_CAPACITY');
  assert.equal(apart.message, 'No host can take this VM (a: affinity: anti-affinity group web: web-1 runs here).');
  assert.deepEqual(chosenHost(decide(snap([host('a')]), req()), req()), { id: 'a', name: 'a' });
});

test('VM-to-host rules: hard ones filter, soft ones weigh', () => {
  const hosts = [host('h1'), host('h2'), host('h3')];
  const pinned = decide(snap(hosts, [group('affinity', true, [], ['h2', 'h3'])]), req({ groupIds: ['g'] }));
  assert.equal(refusedBy(pinned, 'h1'), 'affinity: affinity group web: its VMs go only to h2, h3');
  assert.equal(pinned.chosen?.hostName, 'h2');
  const keptOff = decide(snap(hosts, [group('anti-affinity', true, [], ['h1'])]), req({ groupIds: ['g'] }));
  assert.equal(refusedBy(keptOff, 'h1'), 'affinity: anti-affinity group web: its VMs keep off this host');
  assert.equal(keptOff.hosts.filter((h) => h.excluded).length, 1);
  const prefers = decide(snap(hosts, [group('affinity', false, [], ['h3'])]), req({ groupIds: ['g'] }));
  assert.equal(prefers.chosen?.hostName, 'h3', explain(prefers));
  const bonus = verdict(prefers, 'h3').score?.parts.find((p) => p.weight === 'affinity');
  assert.deepEqual(bonus, { weight: 'affinity', points: 50, note: 'group web: prefers this host' });
  const avoids = decide(snap(hosts, [group('anti-affinity', false, [], ['h1', 'h2'])]), req({ groupIds: ['g'] }));
  assert.equal(avoids.chosen?.hostName, 'h3', explain(avoids));
  assert.equal(avoids.hosts.filter((h) => h.excluded).length, 0);
});

test('CPU: a moved VM keeps to hosts whose CPU can run it, the others say why', () => {
  const amd = { arch: 'x86_64', vendor: 'AMD', model: 'kvm64', features: ['avx2', 'aes'], usableModels: ['qemu64'] };
  const hosts = [
    host('same', { cpu: amd }),
    host('older', { cpu: { ...amd, features: ['aes'] } }),
    host('intel', { cpu: { ...amd, vendor: 'Intel', model: 'Broadwell' } }),
    host('unreported', { cpu: null }),
    host('baseline', { cpu: amd, cpuBaseline: 'EPYC' }),
  ];
  const d = decide(snap(hosts), req({ cpu: { vm: { mode: 'host-passthrough', features: [] }, source: amd } }));
  assert.match(refusedBy(d, 'older'), /^cpu: .*lacks feature\(s\).*avx2/);
  assert.match(refusedBy(d, 'intel'), /^cpu: .*Intel Broadwell/);
  assert.match(refusedBy(d, 'baseline'), /^cpu: .*baseline CPU model EPYC/);
  assert.equal(verdict(d, 'same').excluded, null);
  assert.equal(verdict(d, 'unreported').excluded, null, 'a host that did not report its CPU is not refused');
  // Without the VM's CPU (a new VM) the filter does not apply.
  assert.equal(verdict(decide(snap(hosts), req()), 'intel').excluded, null);
});
