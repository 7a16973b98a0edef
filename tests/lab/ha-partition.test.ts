/**
 * High availability (issue 9), partitions, on the 3-host lab with shared storage and libvirt's
 * lock manager (setup and what is watched: tests/support/ha-fixture.ts):
 * - cut from the manager only: its storage heartbeat goes on, so nothing restarts; 'unreachable'
 *   ("host unreachable, VMs still running") while cut, 'ok' once healed;
 * - cut from the manager and its storage heartbeat: the host forces its HA VMs off itself, then
 *   they restart elsewhere; never two QEMUs (nor two lock holders) for one VM at any sample;
 * - its storage heartbeat lost while its agent stays connected: the same self-fencing, then the
 *   VMs restart on another host and the definitions it kept are removed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bothOnOneHost,
  ctx,
  HA,
  haRestartTasks,
  runningOn,
  useHaFixture,
  waitRunningElsewhere,
  waitStaleDefinitionGone,
  waitHaState,
  waitOnline,
  watchDoubleRuns,
} from '../support/ha-fixture.ts';
import { blockHeartbeat, cutFromManager, hostHa, labHost } from '../support/ha.ts';
import { waitFor } from '../support/lab.ts';

useHaFixture();
const { vms, hostIds, undo } = ctx;

test('cut from the manager only: its storage heartbeat goes on, so nothing restarts; unreachable, then ok', async () => {
  const victim = await bothOnOneHost();
  const host = labHost(victim);
  const t0 = Date.now();
  await cutFromManager(host, true);
  undo.push(() => cutFromManager(host, false));
  const ha = await waitHaState(victim, ['unreachable', 'dead', 'fencing', 'fenced', 'fence-failed'], 90_000);
  console.log(`# ${victim} cut from the manager: HA state ${ha.state} after ${Date.now() - t0} ms: ${ha.note}`);
  assert.equal(ha.state, 'unreachable', `a host whose heartbeat goes on is only unreachable: ${ha.note}`);
  assert.match(ha.note ?? '', /still running/i);
  // Several heartbeat-stale periods: it must stay 'unreachable' and its VMs where they are.
  const watch = watchDoubleRuns();
  const until = Date.now() + 3 * HA.heartbeatStaleAfterS * 1000;
  while (Date.now() < until) {
    assert.equal((await hostHa(ctx.api, hostIds.get(victim) ?? '')).state, 'unreachable');
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const v of vms) assert.deepEqual(await runningOn(v.uuid), [victim], `${v.name} still runs on ${victim} only`);
  const seen = await watch.stop();
  assert.ok(seen.qemu <= 1 && seen.samples > 0, `never two QEMUs for one VM (${JSON.stringify(seen)})`);
  assert.equal(await haRestartTasks(), 0, 'no HA restart was even tried');

  await cutFromManager(host, false);
  undo.pop();
  await waitHaState(victim, ['ok'], 180_000);
  console.log(`# ${victim} healed: HA state ok ${Date.now() - t0} ms after the cut`);
});

test('cut from the manager and its storage: it forces its HA VMs off itself, then they restart elsewhere, never twice', async () => {
  const victim = await bothOnOneHost();
  const host = labHost(victim);
  const watch = watchDoubleRuns();
  const t0 = Date.now();
  await cutFromManager(host, true);
  undo.push(() => cutFromManager(host, false));
  await blockHeartbeat(host, true);
  undo.push(() => blockHeartbeat(host, false));
  await waitFor(
    'the victim to force its HA VMs off',
    async () => {
      for (const v of vms) if ((await runningOn(v.uuid)).includes(victim)) return false;
      return true;
    },
    90_000,
    250,
  );
  const selfFencedMs = Date.now() - t0;
  const moved = await waitRunningElsewhere(victim, 150_000);
  const restartedMs = Date.now() - t0;
  const seen = await watch.stop();
  console.log(
    `# ${victim} cut from manager and storage: self-fenced after ${selfFencedMs} ms, restarted on ${moved.join(', ')} after ${restartedMs} ms; samples ${JSON.stringify(seen)}`,
  );
  assert.ok(seen.samples > 5);
  assert.ok(seen.qemu <= 1, `never two QEMUs for one VM (max ${seen.qemu})`);
  assert.ok(seen.runningHosts <= 1, `never running on two hosts at once (max ${seen.runningHosts})`);
  assert.ok(seen.lockHosts <= 1, `never two hosts holding one disk's locks (max ${seen.lockHosts})`);
  const records = await Promise.all(vms.map((v) => ctx.api.vm.byId.query({ vmId: v.id })));
  for (const [i, r] of records.entries()) assert.equal(r.hostName, moved[i]?.[0], 'the manager records where it runs');

  await blockHeartbeat(host, false);
  undo.pop();
  await cutFromManager(host, false);
  undo.pop();
  await waitOnline(victim);
  await waitHaState(victim, ['ok'], 60_000);
});

test('storage heartbeat lost, agent still connected: it stops its HA VMs itself, they restart on another host, its stale definitions go', async () => {
  const victim = await bothOnOneHost();
  const host = labHost(victim);
  const victimId = hostIds.get(victim) ?? '';
  const watch = watchDoubleRuns();
  const t0 = Date.now();
  await blockHeartbeat(host, true);
  undo.push(() => blockHeartbeat(host, false));
  const moved = await waitRunningElsewhere(victim, 150_000);
  const restartedMs = Date.now() - t0;
  const seen = await watch.stop();
  console.log(
    `# ${victim} lost its storage heartbeat (agent connected): VMs running on ${moved.join(', ')} after ${restartedMs} ms; samples ${JSON.stringify(seen)}`,
  );
  assert.ok(seen.samples > 5);
  assert.ok(seen.qemu <= 1, `never two QEMUs for one VM (max ${seen.qemu})`);
  assert.ok(seen.runningHosts <= 1, `never running on two hosts at once (max ${seen.runningHosts})`);
  assert.ok(seen.lockHosts <= 1, `never two hosts holding one disk's locks (max ${seen.lockHosts})`);
  // Its agent never left: the host is not dead, and was not fenced.
  assert.equal((await hostHa(ctx.api, victimId)).state, 'ok');
  for (const v of vms) {
    const kinds = (await ctx.api.event.listForVm.query({ vmId: v.id }))
      .filter((e) => Date.parse(String(e.at)) >= t0 - 1000)
      .map((e) => e.kind);
    assert.ok(kinds.includes('ha.self-fenced'), `${v.name}: self-fenced is recorded (${kinds.join(', ')})`);
    assert.ok(kinds.includes('ha.restarted'), `${v.name}: restarted is recorded (${kinds.join(', ')})`);
    assert.equal((await ctx.api.vm.byId.query({ vmId: v.id })).hostName, moved[vms.indexOf(v)]?.[0]);
    // The shut-off definition it left on the victim is removed by Vireo, its disk kept.
    await waitStaleDefinitionGone(victim, v);
  }

  await blockHeartbeat(host, false);
  undo.pop();
  await waitHaState(victim, ['ok'], 60_000);
});
