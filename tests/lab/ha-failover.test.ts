/**
 * High availability (issue 9), failures, on the 3-host lab with shared storage and libvirt's lock
 * manager (setup and what is watched: tests/support/ha-fixture.ts):
 * - fence failure (wrong plug) and its agent and watchdog killed (a hung host): its QEMUs keep
 *   running and hold their disks, so the VMs are not restarted, an alert says why, they still run
 *   there only;
 * - its agent killed, no fence device: its HA watchdog kills the VMs' QEMUs after the self-fence
 *   time, and they restart elsewhere once the self-fence wait is over; never twice;
 * - the host killed (powered off) with a working fence device: both VMs run elsewhere, each
 *   exactly once, within a time printed against the issue's goal (30 s); the host's events read
 *   detected → fenced → restarted; once it is back, its stale definitions of them go by themselves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stackCtl } from '../support/agents.ts';
import {
  bothOnOneHost,
  ctx,
  haRestartTasks,
  runningOn,
  useHaFixture,
  waitRunningElsewhere,
  waitStaleDefinitionGone,
  waitHaState,
  waitOnline,
  watchDoubleRuns,
} from '../support/ha-fixture.ts';
import { labHost, power, setFence } from '../support/ha.ts';
import { waitFor } from '../support/lab.ts';

useHaFixture();
const { vms, hostIds, undo } = ctx;

test('fence failure with its agent and watchdog killed (a hung host): its QEMUs hold their disks, so nothing restarts, and an alert says why', async () => {
  const victim = await bothOnOneHost();
  const victimId = hostIds.get(victim) ?? '';
  await setFence(ctx.api, { hostId: victimId, agent: 'fence_vireo_lab', options: { plug: 'no-such-lab-host' } });
  undo.push(() => setFence(ctx.api, { hostId: victimId, agent: '', options: {} }));
  const tasksBefore = await haRestartTasks();
  const watch = watchDoubleRuns();
  const t0 = Date.now();
  // Nothing on the host can stop its VMs: the agent and its watchdog are both gone.
  await stackCtl({}, 'stop-watchdog', victim);
  await stackCtl({}, 'stop-agent', victim, '--kill');
  const failed = await waitHaState(victim, ['fence-failed'], 90_000);
  console.log(`# ${victim} agent killed: fence-failed after ${Date.now() - t0} ms: ${failed.note}`);
  // Past the self-fence wait the monitor tries, and the disk locks refuse: an alert says so.
  const alert = await waitFor(
    'an HA alert about the VMs not restarted',
    async () =>
      (await ctx.api.alert.list.query()).find(
        (a) =>
          a.state === 'firing' &&
          a.objectType === 'vm' &&
          vms.some((v) => v.id === a.objectId) &&
          /not restarted/.test(a.message),
      ),
    120_000,
    500,
  );
  console.log(`# alert after ${Date.now() - t0} ms: ${alert.message}`);
  assert.match(alert.message, new RegExp(`host ${victim} still holds the disks`, 'i'));
  // A few more retries' worth: still not restarted, still on the victim only.
  await new Promise((r) => setTimeout(r, 12_000));
  for (const v of vms) assert.deepEqual(await runningOn(v.uuid), [victim], `${v.name} still runs on ${victim} only`);
  const seen = await watch.stop();
  // QEMU processes are printed, not judged here: a start the lock refuses spawns a QEMU that
  // exits at disk open without running the guest (QEMU's own image lock refuses it).
  console.log(`# fence failure watch: ${JSON.stringify(seen)}`);
  assert.ok(seen.samples > 5);
  assert.ok(seen.runningHosts <= 1, `never running on two hosts at once (${JSON.stringify(seen)})`);
  assert.ok(seen.lockHosts <= 1, `never two hosts holding a disk's locks (${JSON.stringify(seen)})`);
  assert.ok((await haRestartTasks()) > tasksBefore, 'a restart was tried (and refused by the lock manager)');
  const events = await ctx.api.event.listForHost.query({ hostId: victimId });
  assert.ok(
    events.some((e) => e.kind === 'ha.fence-failed'),
    "the host's events say the fence failed",
  );
  const notRestarted = events.filter((e) => e.kind === 'ha.not-restarted');
  assert.ok(
    notRestarted.length >= 1 && notRestarted.length <= vms.length,
    `one event per VM, not one per retry (${notRestarted.length})`,
  );

  await setFence(ctx.api, { hostId: victimId, agent: '', options: {} });
  undo.pop();
  await stackCtl({}, 'start-agents');
  await waitOnline(victim);
  await waitHaState(victim, ['ok'], 60_000);
  for (const v of vms) assert.deepEqual(await runningOn(v.uuid), [victim]);
});

test('agent killed, no fence device: its watchdog stops the HA VMs, which then restart elsewhere, never twice', async () => {
  const victim = await bothOnOneHost();
  const victimId = hostIds.get(victim) ?? '';
  const watch = watchDoubleRuns();
  const t0 = Date.now();
  await stackCtl({}, 'stop-agent', victim, '--kill');
  undo.push(async () => void (await stackCtl({}, 'start-agents')));
  const moved = await waitRunningElsewhere(victim, 180_000);
  const tookMs = Date.now() - t0;
  const seen = await watch.stop();
  console.log(
    `# ${victim} agent killed, watchdog alive: VMs running on ${moved.join(', ')} after ${(tookMs / 1000).toFixed(1)} s; samples ${JSON.stringify(seen)}`,
  );
  assert.ok(seen.samples > 5);
  assert.ok(seen.qemu <= 1 && seen.runningHosts <= 1, `each VM exactly once (${JSON.stringify(seen)})`);
  assert.ok(seen.lockHosts <= 1, `never two hosts holding a disk's locks (${JSON.stringify(seen)})`);
  const kinds = (await ctx.api.event.listForHost.query({ hostId: victimId }))
    .filter((e) => Date.parse(String(e.at)) >= t0 - 1000)
    .map((e) => e.kind);
  assert.ok(kinds.includes('ha.host-self-fence-wait'), `no fence device: the self-fence wait (${kinds.join(', ')})`);
  assert.equal(kinds.filter((k) => k === 'ha.restarted').length, vms.length);

  // The agent comes back: it reports what its watchdog stopped, and the stale definitions go.
  await stackCtl({}, 'start-agents');
  undo.pop();
  await waitOnline(victim);
  await waitHaState(victim, ['ok'], 60_000);
  for (const v of vms) {
    await waitStaleDefinitionGone(victim, v);
    // Reported with the agent's next heartbeat message after it connects.
    await waitFor(
      `${v.name}: the watchdog's stop reported`,
      async () =>
        (await ctx.api.event.listForVm.query({ vmId: v.id })).some(
          (e) => e.kind === 'ha.self-fenced' && Date.parse(String(e.at)) >= t0 - 1000,
        ),
      30_000,
      500,
    );
  }
});

test('host killed: both HA VMs run on other hosts, each exactly once, and its events read detected, fenced, restarted', async () => {
  const victim = await bothOnOneHost();
  const victimId = hostIds.get(victim) ?? '';
  await setFence(ctx.api, { hostId: victimId, agent: 'fence_vireo_lab', options: { plug: victim } });
  undo.push(() => setFence(ctx.api, { hostId: victimId, agent: '', options: {} }));
  const watch = watchDoubleRuns();
  const t0 = Date.now();
  await power(labHost(victim), 'poweroff');
  undo.push(async () => {
    await power(labHost(victim), 'poweron');
    await stackCtl({}, 'start-agents');
  });
  const moved = await waitRunningElsewhere(victim, 180_000);
  const tookMs = Date.now() - t0;
  const seen = await watch.stop();
  console.log(
    `# host ${victim} killed: both HA VMs running on ${moved.join(', ')} after ${(tookMs / 1000).toFixed(1)} s (issue goal 30 s); samples ${JSON.stringify(seen)}`,
  );
  assert.ok(seen.qemu <= 1 && seen.runningHosts <= 1, `each VM exactly once (${JSON.stringify(seen)})`);
  const events = (await ctx.api.event.listForHost.query({ hostId: victimId }))
    .filter((e) => Date.parse(String(e.at)) >= t0 - 1000)
    .reverse();
  const kinds = events.map((e) => e.kind).filter((k) => k.startsWith('ha.'));
  const at = (e: { at: unknown }) => `+${((Date.parse(String(e.at)) - t0) / 1000).toFixed(1)} s`;
  console.log(`# timeline of ${victim}: ${events.map((e) => `${at(e)} ${e.kind}: ${e.message}`).join(' | ')}`);
  const dead = kinds.indexOf('ha.host-dead');
  const fenced = kinds.indexOf('ha.fenced');
  const restarted = kinds.indexOf('ha.restarted');
  assert.ok(dead >= 0 && fenced > dead && restarted > fenced, `detected → fenced → restarted: ${kinds.join(', ')}`);
  assert.equal(kinds.filter((k) => k === 'ha.restarted').length, vms.length);

  await power(labHost(victim), 'poweron');
  await stackCtl({}, 'start-agents');
  undo.pop();
  await setFence(ctx.api, { hostId: victimId, agent: '', options: {} });
  undo.pop();
  await waitOnline(victim);
  await waitHaState(victim, ['ok'], 60_000);
  for (const v of vms)
    assert.equal((await runningOn(v.uuid)).length, 1, `${v.name} runs on one host only after the host is back`);
  // The host came back with both VMs still defined (shut off): Vireo removes those stale
  // definitions by itself, keeping the disks the restarted copies run from, and says so.
  for (const v of vms) {
    await waitStaleDefinitionGone(victim, v);
    assert.equal((await runningOn(v.uuid)).length, 1, `${v.name} still runs elsewhere`);
  }
  const removed = (await ctx.api.event.listForHost.query({ hostId: victimId })).filter(
    (e) => e.kind === 'ha.stale-removed',
  );
  assert.equal(removed.length, vms.length, 'one event per stale definition removed');
  assert.ok(
    !(await ctx.api.event.listForHost.query({ hostId: victimId })).some(
      (e) => e.kind === 'vm.conflict' && Date.parse(String(e.at)) >= t0,
    ),
    'no conflict was raised for them',
  );
});
