import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AdmissionVm, checkAdmission, failureSets } from '../src/services/ha/admission.ts';
import type { HostSnapshot, PlacementSnapshot } from '../src/services/placement/types.ts';

function host(name: string, memoryMiB: number, vms: AdmissionVm[], over: Partial<HostSnapshot> = {}): HostSnapshot {
  return {
    id: name,
    name,
    clusterId: 'c1',
    clusterName: 'main',
    status: 'online',
    maintenance: false,
    domainTypes: ['qemu'],
    memoryMiB,
    cpuUsagePercent: 0,
    allocations: vms
      .filter((v) => v.hostId === name)
      .map((v) => ({ vmId: v.id, vmName: v.name, memoryMiB: v.memoryMiB })),
    ...over,
  };
}

const vm = (name: string, hostId: string, memoryMiB: number, priority = 0): AdmissionVm => ({
  id: name,
  name,
  hostId,
  memoryMiB,
  priority,
});

function snap(hosts: HostSnapshot[]): PlacementSnapshot {
  return { hosts, groups: [], reserveMiB: 0 };
}

test('N=1: every single host failure is tried; all fit when each host has room for the others', () => {
  const vms = [vm('a', 'h1', 1024), vm('b', 'h2', 1024), vm('c', 'h3', 1024)];
  const s = snap(['h1', 'h2', 'h3'].map((h) => host(h, 4096, vms)));
  const r = checkAdmission(s, 'c1', vms, 1, 'refuse');
  assert.equal(r.scenarios.length, 3);
  assert.ok(r.ok, r.summary);
  assert.deepEqual(
    r.scenarios.map((sc) => sc.restarts.length),
    [1, 1, 1],
  );
});

test('capacity is taken as restarts are placed: the second VM of a failed host no longer fits', () => {
  // h2 has 1536 MiB free: one 1024 MiB VM fits, two do not. The higher priority one goes first.
  const vms = [vm('low', 'h1', 1024, 1), vm('high', 'h1', 1024, 9)];
  const s = snap([host('h1', 4096, vms), host('h2', 1536, vms)]);
  const r = checkAdmission(s, 'c1', vms, 1, 'warn');
  assert.equal(r.ok, false);
  const whenH1 = r.scenarios.find((sc) => sc.failedHosts[0]?.id === 'h1');
  assert.deepEqual(
    whenH1?.restarts.map((x) => [x.vmName, x.toHostName]),
    [['high', 'h2']],
  );
  assert.deepEqual(
    r.wouldNotFit.map((w) => [w.vmName, w.failedHosts]),
    [['low', ['h1']]],
  );
  assert.match(r.wouldNotFit[0]?.reason ?? '', /memory/);
  assert.match(r.summary, /low \(if h1 failed\)/);
});

test('hosts of other clusters and hosts in maintenance do not count as room', () => {
  const vms = [vm('a', 'h1', 1024)];
  const s = snap([
    host('h1', 4096, vms),
    host('h2', 8192, vms, { maintenance: true }),
    host('x1', 8192, vms, { clusterId: 'c2', clusterName: 'other' }),
  ]);
  const r = checkAdmission(s, 'c1', vms, 1, 'refuse');
  assert.equal(r.ok, false);
  assert.deepEqual(
    r.wouldNotFit.map((w) => w.vmName),
    ['a'],
  );
});

test('N>1 fails the N hosts with the most HA memory together; N=0 checks nothing', () => {
  const vms = [vm('a', 'h1', 2048), vm('b', 'h2', 512), vm('c', 'h3', 1024)];
  assert.deepEqual(failureSets(['h1', 'h2', 'h3'], vms, 2), [['h1', 'h3']]);
  assert.deepEqual(failureSets(['h1', 'h2'], vms, 0), []);
  const s = snap(['h1', 'h2', 'h3'].map((h) => host(h, 4096, vms)));
  const r = checkAdmission(s, 'c1', vms, 2, 'refuse');
  assert.equal(r.scenarios.length, 1);
  // h2 takes both (2048 + 1024 with 512 already there: 3584 of 4096).
  assert.ok(r.ok, r.summary);
  assert.deepEqual(r.scenarios[0]?.restarts.map((x) => x.toHostName).sort(), ['h2', 'h2']);
  const none = checkAdmission(s, 'c1', vms, 0, 'refuse');
  assert.ok(none.ok);
  assert.equal(none.scenarios.length, 0);
});
