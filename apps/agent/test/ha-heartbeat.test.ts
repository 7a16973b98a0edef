/**
 * The HA storage heartbeat (src/ha/heartbeat.ts) on real files in a temporary "shared" dir, with a
 * clock the test moves: peers' files seen unchanged for longer and longer, the saved settings
 * reloaded by a restarted agent, and self-fencing once the own writes fail for selfFenceAfterMs.
 * The domains are the fake hypervisor's (the lab test tests/lab/ha-agent.test.ts uses libvirt).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { FakeHypervisor } from '@vireo/hypervisor';
import type { HaMessage } from '@vireo/protocol';
import { HEARTBEAT_DIR, Heartbeat } from '../src/ha/heartbeat.ts';
import { createLogger } from '../src/logger.ts';

const logger = createLogger('error', 'plain');
const A = '0f6b3a52-8f64-4b8e-9a57-3a9d6f0c1e21';
const B = '6b1d2f8e-5a4c-4e3b-9d2a-1c0b9a8f7e6d';
const VM = '11111111-2222-4333-8444-555555555555';
const OTHER_VM = '11111111-2222-4333-8444-666666666666';

let root: string;
let clock: number;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vireo-ha-'));
  clock = 1_000_000;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Lets the write a round started (not awaited by the round) finish. */
const settle = () => new Promise((r) => setTimeout(r, 30));

function agent(hostUuid: string, hv = new FakeHypervisor()) {
  const sent: HaMessage[] = [];
  const hb = new Heartbeat({
    hv,
    vmStorageDir: join(root, 'vms'),
    stateDir: join(root, `state-${hostUuid}`),
    hostUuid,
    logger,
    send: (m) => {
      sent.push(m);
      return true;
    },
    now: () => clock,
  });
  return { hb, sent, hv };
}

async function round(...hbs: Heartbeat[]) {
  for (const hb of hbs) await hb.round();
  await settle();
}

test('each agent writes its file and sees how long a peer file has not changed', async () => {
  const a = agent(A);
  const b = agent(B);
  await a.hb.start();
  await b.hb.start();
  a.hb.stop();
  b.hb.stop();
  await round(a.hb, b.hb);
  const own = JSON.parse(readFileSync(join(root, 'vms', HEARTBEAT_DIR, `${A}.hb`), 'utf8'));
  assert.equal(own.hostUuid, A);
  assert.equal(typeof own.seq, 'number');

  // Both keep writing: B sees A's file change every round.
  for (let i = 0; i < 3; i++) {
    clock += 2_000;
    await round(a.hb, b.hb);
  }
  await b.hb.round();
  const fresh = b.sent.at(-1)?.peers.find((p) => p.hostUuid === A);
  assert.ok(fresh && fresh.unchangedForMs <= 2_000, `A seen fresh: ${JSON.stringify(fresh)}`);
  assert.equal(
    b.sent.at(-1)?.peers.some((p) => p.hostUuid === B),
    false,
    'an agent is not its own peer',
  );
  assert.ok((a.sent.at(-1)?.own.lastWriteOkAgoMs ?? -1) >= 0);

  // A stops (dies): B sees its file unchanged for longer and longer.
  for (let i = 0; i < 4; i++) {
    clock += 2_000;
    await round(b.hb);
  }
  const stale = b.sent.at(-1)?.peers.find((p) => p.hostUuid === A);
  assert.ok(stale && stale.unchangedForMs >= 8_000, `A seen stale: ${JSON.stringify(stale)}`);
});

test('own writes failing for selfFenceAfterMs force off the running HA VMs, reported once', async () => {
  const hv = new FakeHypervisor({
    domains: [
      { uuid: VM, name: 'ha-vm', state: 'running' },
      { uuid: OTHER_VM, name: 'not-ha', state: 'running' },
    ],
  });
  await hv.connect();
  const a = agent(A, hv);
  await a.hb.start();
  a.hb.stop();
  await a.hb.configure({ intervalMs: 1_000, selfFenceAfterMs: 5_000, haVmUuids: [VM] });
  await round(a.hb);
  assert.equal(a.sent.at(-1)?.own.error, undefined);

  // The heartbeat dir becomes unusable (a file where the dir was): every write fails.
  await rm(join(root, 'vms', HEARTBEAT_DIR), { recursive: true });
  await writeFile(join(root, 'vms', HEARTBEAT_DIR), 'not a dir');
  clock += 1_000;
  await round(a.hb);
  clock += 1_000;
  await round(a.hb);
  assert.match(a.sent.at(-1)?.own.error ?? '', /.+/, 'the failure is reported');
  assert.equal((await hv.domain(VM))?.state, 'running', 'not before selfFenceAfterMs');

  clock += 5_000;
  await round(a.hb);
  assert.equal((await hv.domain(VM))?.state, 'shutoff', 'the HA VM is forced off');
  assert.equal((await hv.domain(OTHER_VM))?.state, 'running', 'a VM without HA is left alone');
  assert.deepEqual(a.sent.at(-1)?.own.selfFenced, [VM]);
  clock += 1_000;
  await round(a.hb);
  assert.deepEqual(a.sent.at(-1)?.own.selfFenced, [], 'reported once');
});

test('a restarted agent self-fences with the settings it saved, without the manager', async () => {
  const first = agent(A);
  await first.hb.start();
  first.hb.stop();
  await first.hb.configure({ intervalMs: 1_500, selfFenceAfterMs: 4_000, haVmUuids: [VM] });
  assert.ok(existsSync(join(root, `state-${A}`, 'ha.json')));

  const again = agent(A);
  await again.hb.start();
  again.hb.stop();
  assert.deepEqual(again.hb.current, { intervalMs: 1_500, selfFenceAfterMs: 4_000, haVmUuids: [VM] });

  // A damaged file is not trusted: the defaults apply.
  await writeFile(join(root, `state-${A}`, 'ha.json'), '{"intervalMs": 1}');
  const third = agent(A);
  await third.hb.start();
  third.hb.stop();
  assert.deepEqual(third.hb.current.haVmUuids, []);
  assert.equal(third.hb.current.intervalMs, 2_000);
});
