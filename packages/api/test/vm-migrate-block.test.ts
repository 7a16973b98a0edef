import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateMigration, type MigrationFacts } from '../src/services/vm-migrate.ts';

const disk = (label: string, where: 'shared' | 'host') => ({ label, where, readOnly: false, cdrom: false });

function facts(disks: MigrationFacts['disks'], localPool: string | null | undefined): MigrationFacts {
  return {
    vm: { name: 'db', state: 'running', memoryMiB: 512, hostId: 'h1' },
    source: { id: 'h1', name: 'host-1', clusterId: 'c1' },
    target: {
      id: 'h2',
      name: 'host-2',
      status: 'online',
      clusterId: 'c1',
      address: '10.0.0.12',
      freeMiB: 4096,
      localPool,
    },
    disks,
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

const storage = (r: ReturnType<typeof evaluateMigration>) => r.checks.find((c) => c.id === 'storage');

test('block migration needs a pool of the target’s own, and names it', () => {
  const ok = evaluateMigration(facts([disk('disk 0', 'host')], 'local-b'));
  assert.equal(ok.mode, 'block');
  assert.equal(ok.ok, true);
  assert.match(storage(ok)?.reason ?? '', /into its pool local-b/);
  const none = evaluateMigration(facts([disk('disk 0', 'host')], null));
  assert.equal(none.ok, false);
  assert.match(storage(none)?.reason ?? '', /host-2 has no storage pool of its own/);
});

test('one local disk beside shared ones can be copied alone; several cannot', () => {
  assert.equal(evaluateMigration(facts([disk('disk 0', 'shared'), disk('disk 1', 'host')], 'p')).ok, true);
  const two = evaluateMigration(facts([disk('disk 0', 'shared'), disk('disk 1', 'host'), disk('disk 2', 'host')], 'p'));
  assert.equal(two.ok, false);
  assert.match(storage(two)?.reason ?? '', /only one/);
  // All local: every disk is copied.
  assert.equal(evaluateMigration(facts([disk('disk 0', 'host'), disk('disk 1', 'host')], 'p')).ok, true);
});

test('block asked for disks all on shared storage is refused: nothing to copy', () => {
  const r = evaluateMigration(facts([disk('disk 0', 'shared')], 'p'), 'block');
  assert.equal(r.ok, false);
  assert.match(storage(r)?.reason ?? '', /nothing to copy/);
});
