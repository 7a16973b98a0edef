import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateMigration, type MigrationFacts, neededMode } from '../src/services/vm-migrate.ts';

const policy = {
  maxDowntimeMs: 300,
  bandwidthMiBs: 0,
  autoConverge: true,
  postCopy: false,
  parallelPerHost: 2,
  allowBlock: true,
};

function facts(
  over: Partial<MigrationFacts> = {},
  target: Partial<NonNullable<MigrationFacts['target']>> = {},
): MigrationFacts {
  return {
    vm: { name: 'web-1', state: 'running', memoryMiB: 1024, hostId: 'h1' },
    source: { id: 'h1', name: 'host-1', clusterId: 'c1' },
    target: {
      id: 'h2',
      name: 'host-2',
      status: 'online',
      clusterId: 'c1',
      address: '10.0.0.12',
      freeMiB: 4096,
      ...target,
    },
    disks: [{ label: 'disk 0', where: 'shared', readOnly: false, cdrom: false }],
    policy,
    ...over,
  };
}

const failed = (r: ReturnType<typeof evaluateMigration>) => r.checks.filter((c) => !c.ok).map((c) => c.id);

test('a running VM on shared storage to an online host of its cluster with room: live, shared, all checks pass', () => {
  const r = evaluateMigration(facts());
  assert.equal(r.ok, true);
  assert.equal(r.live, true);
  assert.equal(r.mode, 'shared');
  assert.ok(r.estimate && r.estimate.durationMs > 0);
});

test('the target lacks memory: refused by the memory check, with both figures in the reason', () => {
  const r = evaluateMigration(facts({}, { freeMiB: 512 }));
  assert.equal(r.ok, false);
  assert.deepEqual(failed(r), ['memory']);
  const reason = r.checks.find((c) => c.id === 'memory')?.reason ?? '';
  assert.match(reason, /512 MiB free/);
  assert.match(reason, /needs 1024 MiB/);
});

test('exactly enough memory passes', () => {
  assert.equal(evaluateMigration(facts({}, { freeMiB: 1024 })).ok, true);
});

test('offline target, own host, other cluster and unknown address are each refused', () => {
  assert.deepEqual(failed(evaluateMigration(facts({}, { status: 'offline' }))), ['online']);
  assert.deepEqual(failed(evaluateMigration(facts({}, { id: 'h1' }))), ['other-host']);
  assert.deepEqual(failed(evaluateMigration(facts({}, { clusterId: 'c2' }))), ['same-cluster']);
  assert.deepEqual(failed(evaluateMigration(facts({}, { address: null }))), ['address']);
});

test('a disk on host storage needs block migration; asked as shared it is refused', () => {
  const disks: MigrationFacts['disks'] = [{ label: 'disk 0', where: 'host', readOnly: false, cdrom: false }];
  assert.equal(neededMode(disks), 'block');
  assert.equal(evaluateMigration(facts({ disks })).mode, 'block');
  assert.equal(evaluateMigration(facts({ disks })).ok, true);
  assert.deepEqual(failed(evaluateMigration(facts({ disks }), 'shared')), ['storage']);
  assert.deepEqual(failed(evaluateMigration(facts({ disks, policy: { ...policy, allowBlock: false } }))), ['storage']);
});

test('a local ISO in the CD-ROM is refused; a stopped VM migrates cold', () => {
  const disks: MigrationFacts['disks'] = [
    { label: 'disk 0', where: 'shared', readOnly: false, cdrom: false },
    { label: 'cd-rom 1', where: 'host', readOnly: true, cdrom: true },
  ];
  const r = evaluateMigration(facts({ disks }));
  assert.deepEqual(failed(r), ['storage']);
  assert.match(r.checks.find((c) => c.id === 'storage')?.reason ?? '', /eject/);
  const cold = evaluateMigration(facts({ vm: { name: 'db', state: 'shutoff', memoryMiB: 512, hostId: 'h1' } }));
  assert.equal(cold.ok, true);
  assert.equal(cold.live, false);
  assert.deepEqual(
    failed(evaluateMigration(facts({ vm: { name: 'x', state: 'crashed', memoryMiB: 1, hostId: 'h1' } }))),
    ['state'],
  );
});

test('the estimate grows with the dirty rate and uses the cluster bandwidth', () => {
  const calm = evaluateMigration(facts()).estimate?.durationMs ?? 0;
  const busy = evaluateMigration(facts({ lastDirtyBps: 50 * 1024 * 1024 })).estimate?.durationMs ?? 0;
  const capped = evaluateMigration(facts({ policy: { ...policy, bandwidthMiBs: 10 } })).estimate?.durationMs ?? 0;
  assert.ok(busy > calm, `${busy} > ${calm}`);
  assert.ok(capped > calm * 5, `${capped} > 5 × ${calm}`);
});

test('CPU: host-passthrough to a host lacking features is refused, naming them', () => {
  const amd = { arch: 'x86_64', vendor: 'AMD', model: 'kvm64', features: ['avx2', 'avx512f', 'aes'], usableModels: [] };
  const older = { ...amd, features: ['aes'] };
  const vm = { mode: 'host-passthrough' as const, features: [] };
  const same = evaluateMigration(facts({ cpu: { vm, source: amd, target: amd, baseline: '' } }));
  assert.equal(same.ok, true);
  assert.ok(same.checks.some((c) => c.id === 'cpu' && c.ok));
  const r = evaluateMigration(facts({ cpu: { vm, source: amd, target: older, baseline: '' } }));
  assert.deepEqual(failed(r), ['cpu']);
  assert.match(r.checks.find((c) => c.id === 'cpu')?.reason ?? '', /host-2: .*lacks feature\(s\).*avx2, avx512f/);
  const unread = evaluateMigration(facts({ cpu: { vm: null, source: amd, target: older, baseline: '' } }));
  assert.equal(unread.ok, true, 'a VM CPU the agent could not read is not a refusal');
  assert.match(unread.checks.find((c) => c.id === 'cpu')?.reason ?? '', /not checked/);
});
