/**
 * The fence agent runner (services/ha/fence.ts) against small fence agent scripts written to a
 * temporary dir: the fence-agents calling convention (options on stdin, exit 0 / 2 for status),
 * the power check after off/on, the timeout, names that are refused, and passwords never echoed.
 * The real lab fence agent (lab/fence/fence_vireo_lab) is exercised in tests/lab/ha-agent.test.ts.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VireoError } from '@vireo/protocol';

let dir: string;
let runFenceAgent: typeof import('../src/services/ha/fence.ts').runFenceAgent;

/** A fence agent script: `body` runs after the options are read into $action, $plug, $password. */
async function agent(name: string, body: string): Promise<void> {
  const path = join(dir, name);
  await writeFile(
    path,
    `#!/usr/bin/env bash
while IFS='=' read -r k v; do case "$k" in action) action=$v;; plug) plug=$v;; password) password=$v;; esac; done
echo "$action $plug" >>"${dir}/${name}.calls"
${body}
`,
  );
  await chmod(path, 0o755);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vireo-fence-'));
  process.env.VIREO_FENCE_AGENT_DIRS = `/nonexistent:${dir}`;
  ({ runFenceAgent } = await import('../src/services/ha/fence.ts'));
  // A power switch whose state lives in a file: off/on change it, status reports it.
  await agent(
    'fence_switch',
    `state="${dir}/power"; [[ -f $state ]] || echo on >"$state"
case "$action" in
  off) echo off >"$state"; echo "Success: Powered OFF";;
  on) echo on >"$state"; echo "Success: Powered ON";;
  status) s=$(cat "$state"); echo "Status: $s"; [[ $s == on ]] && exit 0 || exit 2;;
  *) exit 1;;
esac`,
  );
  // Says "off" worked, but the host stays on.
  await agent('fence_liar', `[[ $action == status ]] && { echo "Status: ON"; exit 0; }; echo "Success"; exit 0`);
  await agent('fence_broken', `echo "Failed: unable to connect to 10.0.0.9 as admin/$password" >&2; exit 1`);
  await agent('fence_hang', 'sleep 30');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('status: exit 0 is on, 2 is off; the options reach the agent on stdin', async () => {
  const on = await runFenceAgent('fence_switch', { plug: 'h1' }, 'status');
  assert.equal(on.ok, true);
  assert.equal(on.power, 'on');
  assert.equal(on.exitCode, 0);
  assert.match(on.output, /Status: on/);
  assert.match(await readFile(join(dir, 'fence_switch.calls'), 'utf8'), /^status h1$/m);
});

test('off then on: each action is confirmed by a status run', async () => {
  const off = await runFenceAgent('fence_switch', { plug: 'h1' }, 'off');
  assert.deepEqual([off.ok, off.power], [true, 'off']);
  const calls = (await readFile(join(dir, 'fence_switch.calls'), 'utf8')).trim().split('\n');
  assert.deepEqual(calls.slice(-2), ['off h1', 'status h1']);
  const status = await runFenceAgent('fence_switch', { plug: 'h1' }, 'status');
  assert.deepEqual([status.ok, status.power, status.exitCode], [true, 'off', 2]);
  const on = await runFenceAgent('fence_switch', { plug: 'h1' }, 'on');
  assert.deepEqual([on.ok, on.power], [true, 'on']);
});

test('an agent that claims success while the host stays on has not fenced it', async () => {
  const r = await runFenceAgent('fence_liar', { plug: 'h1' }, 'off');
  assert.equal(r.ok, false);
  assert.equal(r.power, 'on');
  assert.match(r.output, /power state is on/);
});

test('a failing agent: not ok, its output kept, the password never in it', async () => {
  const r = await runFenceAgent('fence_broken', { plug: 'h1', password: 'hunter2-s3cret' }, 'off');
  assert.equal(r.ok, false);
  assert.equal(r.exitCode, 1);
  assert.match(r.output, /unable to connect/);
  assert.doesNotMatch(r.output, /hunter2-s3cret/);
  assert.match(r.output, /\*\*\*/);
});

test('a hanging agent is killed at the timeout', async () => {
  const started = Date.now();
  const r = await runFenceAgent('fence_hang', {}, 'status', 500);
  assert.equal(r.ok, false);
  assert.equal(r.exitCode, null);
  assert.match(r.output, /did not finish within 500 ms/);
  assert.ok(Date.now() - started < 5_000, 'returned soon after the timeout');
});

test('unknown agents are not found; bad names and options are refused before anything runs', async () => {
  const missing = await runFenceAgent('fence_nothere', {}, 'status');
  assert.equal(missing.ok, false);
  assert.match(missing.output, /not found/);
  for (const [name, options] of [
    ['../fence_switch', {}],
    ['/usr/sbin/fence_ipmilan', {}],
    ['bash', {}],
    ['fence_switch', { 'bad-name': 'x' }],
    ['fence_switch', { action: 'on' }],
    ['fence_switch', { plug: 'h1\naction=on' }],
  ] as const) {
    await assert.rejects(
      runFenceAgent(name, options, 'status'),
      (err: unknown) => VireoError.is(err, 'BAD_INPUT'),
      `${name} ${JSON.stringify(options)} refused`,
    );
  }
});
