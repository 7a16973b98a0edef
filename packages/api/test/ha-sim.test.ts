/**
 * The HA simulator's scenarios (packages/api/test/ha-scenarios/*.json): each is run through the
 * real decision step and its timeline compared with the checked-in <name>.expected.txt; on every
 * scenario the safety invariants hold (a VM never runs on two hosts at once; a non-HA VM is never
 * restarted; no restart while the old host's heartbeat is alive). After an intended change of
 * behaviour: HA_SIM_UPDATE=1 node --import tsx --test packages/api/test/ha-sim.test.ts, then
 * read the diff of the .expected.txt files.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatResult, Simulation, scenarioSchema, simulate } from '../src/services/ha/simulate.ts';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ha-scenarios');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('there are scenarios for every case the issue names', () => {
  assert.deepEqual(files, [
    'capacity-shortage.json',
    'fence-failure-locks-held.json',
    'host-failure.json',
    'manager-restart.json',
    'partition-manager.json',
    'partition-storage.json',
    'priorities-dependency.json',
  ]);
});

for (const file of files) {
  test(`scenario ${file}: timeline as expected, invariants hold`, () => {
    const scenario = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const result = simulate(scenario);
    assert.deepEqual(result.violations, []);
    const expectedFile = path.join(dir, file.replace(/\.json$/, '.expected.txt'));
    const text = `${formatResult(result)}\n`;
    if (process.env.HA_SIM_UPDATE === '1') writeFileSync(expectedFile, text);
    assert.equal(text, readFileSync(expectedFile, 'utf8'));
    // The same scenario twice gives the same timeline: nothing depends on the real clock.
    assert.equal(`${formatResult(simulate(scenario))}\n`, text);
  });
}

test('what the scenarios show: restarts where the issue asks for them, none where it forbids them', () => {
  const run = (name: string) => simulate(JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')));
  const hostFailure = run('host-failure');
  assert.ok(hostFailure.final.includes('web: running on h2 (record on h2, running)'));
  assert.ok(hostFailure.final.some((l) => /^db: running on h[23] /.test(l)));
  assert.ok(hostFailure.final.includes('scratch: not running (record on h1, running)'));
  const partition = run('partition-manager');
  assert.ok(partition.timeline.some((l) => l.includes('host unreachable, VMs still running')));
  assert.ok(!partition.timeline.some((l) => /^\s*[\d.]+s\s+restart /.test(l)));
  const locks = run('fence-failure-locks-held');
  assert.ok(locks.timeline.some((l) => l.includes('ALERT Fencing h1 failed')));
  assert.ok(locks.timeline.some((l) => l.includes('refused by the lock manager')));
  const storage = run('partition-storage');
  const selfFence = storage.timeline.findIndex((l) => l.includes('h1 self-fences'));
  const firstRestart = storage.timeline.findIndex((l) => /^\s*[\d.]+s\s+restart /.test(l));
  assert.ok(selfFence >= 0 && firstRestart > selfFence, 'restarts only after h1 stopped its VMs itself');
});

test('the invariant checks catch a double run and a non-HA restart', () => {
  const broken = () =>
    new Simulation(
      scenarioSchema.parse({
        name: 'broken',
        durationS: 1,
        hosts: [{ name: 'h1' }, { name: 'h2' }],
        vms: [{ name: 'a', host: 'h1' }],
      }),
    );
  const doubled = broken();
  doubled.qemu.get('a')?.add('h2');
  doubled.tick();
  assert.match(doubled.violations.join('\n'), /a runs on h1 and h2/);
  const sim = broken();
  const vm = sim.vms.get('a');
  assert.ok(vm);
  vm.ha = false;
  (sim as unknown as { execute(a: unknown[]): void }).execute([
    { kind: 'restart', vmId: 'a', fromHostId: 'h1', toHostId: 'h2', why: 'test' },
  ]);
  assert.match(sim.violations.join('\n'), /non-HA VM a restarted/);
  assert.match(sim.violations.join('\n'), /a restarted while it runs on h1, whose heartbeat is alive/);
});
