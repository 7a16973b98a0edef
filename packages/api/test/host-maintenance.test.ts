import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide } from '../src/services/placement/engine.ts';
import type { HostSnapshot } from '../src/services/placement/types.ts';
import { evaluateMigration, type MigrationFacts } from '../src/services/vm-migrate.ts';

function facts(maintenance: string | undefined): MigrationFacts {
  return {
    vm: { name: 'web-1', state: 'running', memoryMiB: 512, hostId: 'h1' },
    source: { id: 'h1', name: 'host-1', clusterId: 'c1' },
    target: {
      id: 'h2',
      name: 'host-2',
      status: 'online',
      maintenance,
      clusterId: 'c1',
      address: '10.0.0.12',
      freeMiB: 4096,
    },
    disks: [{ label: 'disk 0', where: 'shared', readOnly: false, cdrom: false }],
    policy: {
      maxDowntimeMs: 300,
      bandwidthMiBs: 0,
      autoConverge: true,
      postCopy: false,
      parallelPerHost: 2,
      allowBlock: true,
    },
  };
}

const failed = (r: ReturnType<typeof evaluateMigration>) => r.checks.filter((c) => !c.ok);

test('a migration to a host in maintenance is refused by the maintenance check, naming the host', () => {
  const r = evaluateMigration(facts('maintenance'));
  assert.equal(r.ok, false);
  assert.deepEqual(
    failed(r).map((c) => c.id),
    ['maintenance'],
  );
  assert.equal(failed(r)[0]?.reason, 'host host-2 is in maintenance.');
});

test('a host entering maintenance is refused too; a host in normal use (or not said) passes', () => {
  const entering = evaluateMigration(facts('entering'));
  assert.equal(entering.ok, false);
  assert.match(failed(entering)[0]?.reason ?? '', /host-2 is entering maintenance/);
  assert.equal(evaluateMigration(facts('none')).ok, true);
  assert.equal(evaluateMigration(facts(undefined)).ok, true);
});

test('placement excludes a host in maintenance with a readable reason and takes the others', () => {
  const host = (name: string, maintenance: boolean): HostSnapshot => ({
    id: name,
    name,
    clusterId: 'c1',
    clusterName: 'main',
    status: 'online',
    maintenance,
    domainTypes: ['qemu'],
    // The one in maintenance is the emptiest: without the filter it would win.
    memoryMiB: maintenance ? 16384 : 4096,
    cpuUsagePercent: 0,
    allocations: [],
  });
  const d = decide({ hosts: [host('a', true), host('b', false)], groups: [], reserveMiB: 256 }, { memoryMiB: 512 });
  assert.equal(d.chosen?.hostName, 'b');
  const a = d.hosts.find((h) => h.hostName === 'a');
  assert.equal(a?.excluded?.filter, 'maintenance');
  assert.match(a?.excluded?.reason ?? '', /maintenance/);
});
