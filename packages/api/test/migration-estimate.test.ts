import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateMigration, type MigrationFacts } from '../src/services/vm-migrate.ts';

const MIB = 1024 * 1024;

function facts(extra: Partial<MigrationFacts> = {}, bandwidthMiBs = 0): MigrationFacts {
  return {
    vm: { name: 'web-1', state: 'running', memoryMiB: 256, hostId: 'h1' },
    source: { id: 'h1', name: 'host-1', clusterId: 'c1' },
    target: null,
    disks: [],
    policy: {
      maxDowntimeMs: 300,
      bandwidthMiBs,
      autoConverge: false,
      postCopy: false,
      parallelPerHost: 2,
      allowBlock: true,
    },
    ...extra,
  };
}

test('never measured: all memory at the assumed 100 MiB/s plus a fixed overhead', () => {
  const e = estimateMigration(facts(), 'shared', true);
  assert.equal(e?.durationMs, 2560 + 1500);
  assert.match(e?.basis ?? '', /256 MiB at 100 MiB\/s \(assumed\)/);
});

test('measured: what the VM sent last time at the throughput measured between the hosts', () => {
  // 72 MiB sent last time; 36 MiB/s measured (bytes over libvirt's whole job: no extra overhead).
  const e = estimateMigration(facts({ lastSentBytes: 72 * MIB, measuredBps: 36 * MIB }), 'shared', true);
  assert.equal(e?.durationMs, 2000);
  assert.match(e?.basis ?? '', /72 MiB \(sent last time\) at 36 MiB\/s \(measured\)/);
});

test('a cluster limit below the measured throughput is what paces the migration', () => {
  const e = estimateMigration(facts({ measuredBps: 200 * MIB }, 50), 'shared', true);
  assert.equal(e?.durationMs, Math.round((256 / 50) * 1000) + 1500);
  assert.match(e?.basis ?? '', /at 50 MiB\/s \(cluster limit\)/);
});
