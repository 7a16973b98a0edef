import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MovableVm, planBalance, spread } from '../src/services/balancer/plan.ts';
import { decideCheck } from '../src/services/balancer/service.ts';
import type { AffinityGroupSnapshot, HostSnapshot, PlacementSnapshot } from '../src/services/placement/types.ts';

function host(id: string, vms: { id: string; mib: number }[], over: Partial<HostSnapshot> = {}): HostSnapshot {
  return {
    id,
    name: id,
    clusterId: 'c1',
    clusterName: 'Default',
    status: 'online',
    maintenance: false,
    domainTypes: ['qemu'],
    memoryMiB: 4096,
    cpuUsagePercent: 0,
    allocations: vms.map((v) => ({ vmId: v.id, vmName: v.id, memoryMiB: v.mib })),
    ...over,
  };
}

function vmsOf(s: PlacementSnapshot, groups: Record<string, string[]> = {}): MovableVm[] {
  return s.hosts.flatMap((h) =>
    h.allocations.map((a) => ({
      id: a.vmId ?? '',
      name: a.vmName ?? '',
      hostId: h.id,
      memoryMiB: a.memoryMiB,
      vcpus: 1,
      groupIds: groups[a.vmId ?? ''] ?? [],
    })),
  );
}

const snap = (hosts: HostSnapshot[], groups: AffinityGroupSnapshot[] = []): PlacementSnapshot => ({
  hosts,
  groups,
  reserveMiB: 0,
});

const unbalanced = () =>
  snap([
    host('h1', [
      { id: 'a', mib: 1024 },
      { id: 'b', mib: 1024 },
      { id: 'c', mib: 1024 },
    ]),
    host('h2', []),
    host('h3', []),
  ]);

test('an unbalanced cluster gets moves, each explained, ending with a lower spread', () => {
  const s = unbalanced();
  const plan = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s), maxMoves: 5, thresholdPoints: 1 });
  assert.equal(plan.moves.length, 2);
  assert.ok(plan.spreadAfter < plan.spreadBefore);
  // 75 % / 0 / 0 → 25 / 25 / 25: perfectly even.
  assert.equal(plan.spreadAfter, 0);
  assert.deepEqual(new Set(plan.moves.map((m) => m.toHostId)), new Set(['h2', 'h3']));
  for (const m of plan.moves) {
    assert.equal(m.fromHostId, 'h1');
    assert.match(
      m.explanation,
      new RegExp(
        `move ${m.vmName} \\(1024 MiB, 1 vCPU\\) from h1 \\(\\d+ % committed\\) to ${m.toHostName} \\(0 %\\): spread`,
      ),
    );
    assert.ok(m.spreadAfter < m.spreadBefore);
  }
  assert.equal(plan.moves[0]?.spreadBefore, plan.spreadBefore);
});

test('a balanced cluster proposes nothing, and says why', () => {
  const s = snap([
    host('h1', [{ id: 'a', mib: 1024 }]),
    host('h2', [{ id: 'b', mib: 1024 }]),
    host('h3', [{ id: 'c', mib: 1024 }]),
  ]);
  const plan = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s), maxMoves: 5, thresholdPoints: 1 });
  assert.equal(plan.moves.length, 0);
  assert.equal(plan.spreadBefore, 0);
  assert.match(plan.summary, /balanced enough/);
});

test('the threshold keeps small gains out', () => {
  const s = unbalanced();
  const all = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s), maxMoves: 5, thresholdPoints: 1 });
  const high = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s), maxMoves: 5, thresholdPoints: 50 });
  assert.ok(all.moves.length > 0);
  assert.equal(high.moves.length, 0);
});

test('the cap limits the moves of one run', () => {
  const s = unbalanced();
  const plan = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s), maxMoves: 1, thresholdPoints: 1 });
  assert.equal(plan.moves.length, 1);
  assert.match(plan.summary, /cap of 1/);
});

test('hosts in maintenance or offline take nothing and do not count', () => {
  const s = snap([
    host('h1', [
      { id: 'a', mib: 1024 },
      { id: 'b', mib: 1024 },
    ]),
    host('h2', [], { maintenance: true }),
    host('h3', [], { status: 'offline' }),
  ]);
  const plan = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s), maxMoves: 5, thresholdPoints: 1 });
  assert.equal(plan.moves.length, 0);
  assert.deepEqual(
    plan.skippedHosts.map((h) => h.hostId),
    ['h2', 'h3'],
  );
  assert.match(plan.summary, /fewer than two usable hosts/);
});

test('hard affinity rules are the placement filters’ own: a VM-to-host rule keeps VMs where they are', () => {
  const members = [
    { vmId: 'a', vmName: 'a', hostId: 'h1' },
    { vmId: 'b', vmName: 'b', hostId: 'h1' },
  ];
  const s = snap(
    [
      host('h1', [
        { id: 'a', mib: 1024 },
        { id: 'b', mib: 1024 },
      ]),
      host('h2', []),
    ],
    [{ id: 'g', name: 'pin', kind: 'affinity', hard: true, members, hostIds: ['h1'] }],
  );
  const groups = { a: ['g'], b: ['g'] };
  const pinned = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s, groups), maxMoves: 5, thresholdPoints: 1 });
  assert.equal(pinned.moves.length, 0);
  const free = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s), maxMoves: 5, thresholdPoints: 1 });
  assert.equal(free.moves.length, 1);
});

test('capacity is the memory filter’s: a VM bigger than any free room stays', () => {
  const s = snap([
    host('h1', [
      { id: 'a', mib: 3000 },
      { id: 'b', mib: 1000 },
    ]),
    host('h2', [{ id: 'c', mib: 3500 }], { memoryMiB: 4096 }),
  ]);
  const plan = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s), maxMoves: 5, thresholdPoints: 0.1 });
  for (const m of plan.moves) assert.notEqual(m.vmId, 'a');
});

test('the spread is the standard deviation of committed percentages', () => {
  assert.equal(spread([{ committedPercent: 10 }, { committedPercent: 30 }]), 10);
  assert.equal(spread([{ committedPercent: 50 }]), 0);
});

test('the periodic check: recommend never acts, automatic acts outside its cooldown, and each says why', () => {
  const s = unbalanced();
  const plan = planBalance({ clusterId: 'c1', snapshot: s, vms: vmsOf(s), maxMoves: 5, thresholdPoints: 1 });
  const now = new Date('2026-12-02T12:00:00Z');
  const recent = new Date('2026-12-02T11:50:00Z');
  const rec = decideCheck('recommend', plan, null, 30, now);
  assert.equal(rec.act, false);
  assert.match(rec.decision, /Recommends 2 move\(s\)/);
  const cooling = decideCheck('automatic', plan, recent, 30, now);
  assert.equal(cooling.act, false);
  assert.match(cooling.decision, /cooldown until 2026-12-02T12:20:00.000Z/);
  assert.equal(decideCheck('automatic', plan, recent, 5, now).act, true);
  assert.equal(decideCheck('automatic', plan, null, 30, now).act, true);
  const balanced = decideCheck('automatic', { moves: [], summary: 'balanced enough' }, null, 30, now);
  assert.equal(balanced.act, false);
  assert.match(balanced.decision, /Nothing to do: balanced enough/);
});
