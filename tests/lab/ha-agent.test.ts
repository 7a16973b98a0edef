/**
 * High availability, the agent's and the lab's side (issue 9), on real libvirt hosts:
 * - disk locks (QEMU's image locks; libvirt's lock manager too where enabled): a VM running on one host cannot be started on another (virsh, and
 *   `ha.restart`, which answers CONFLICT with details.locked and leaves nothing defined there);
 * - restart: once the VM is off and gone from its host, `ha.restart` on another host defines it
 *   from the copy of its definition on shared storage and the guest boots there;
 * - self-fencing: a host whose heartbeat writes fail (its heartbeat dir made read-only inside its
 *   mount namespace) forces its HA VM off within selfFenceAfterMs and says so in its `ha`
 *   message, while a peer sees that host's heartbeat file unchanged for longer and longer;
 * - power: lab.sh poweroff/poweron and the lab fence agent fence_vireo_lab; a powered-off host's
 *   disks are free again, so the VM it ran restarts elsewhere.
 * The VMs are made through the manager (its agents write the definition copies); `ha.*` requests
 * go to real agents started beside the stack's ones, each against a fake manager
 * (apps/agent/test/lab-harness.ts), since the manager's HA monitor is another part's work.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Msg, spawnAgent, startFakeManager } from '../../apps/agent/test/lab-harness.ts';
import { startAgents } from '../support/agents.ts';
import { type Api, admin, createTestVm, removeVms } from '../support/api.ts';
import { serialLogPath, serialText } from '../support/guest-serial.ts';
import { domState, hostOfDomain, type LabHost, lab, virsh, waitFor } from '../support/lab.ts';

type FullHost = LabHost & { hostUuid: string };
type HaMsg = { t: 'ha'; own: { lastWriteOkAgoMs: number | null; error?: string; selfFenced: string[] } } & {
  peers: { hostUuid: string; unchangedForMs: number }[];
};

const vmsDir = () => join(lab().sharedDir, 'vms');
const hbDir = () => join(vmsDir(), '.vireo-ha');
const hosts = () => lab().hosts as FullHost[];
const byName = (name: string) => hosts().find((h) => h.name === name)!;
function otherThan(name: string): string {
  const other = hosts().find((h) => h.name !== name);
  assert.ok(other, 'the lab has a second host');
  return other.name;
}
const LAB_SH = join(process.cwd(), 'lab/lab.sh');
const FENCE = join(process.cwd(), 'lab/fence/fence_vireo_lab');

let api: Api;
const made: string[] = [];
type TestAgent = {
  host: string;
  m: Awaited<ReturnType<typeof startFakeManager>>;
  agent: Awaited<ReturnType<typeof spawnAgent>>;
};
const agents = new Map<string, TestAgent>();
let vmA: { uuid: string; name: string; home: string };
let vmB: { uuid: string; name: string; home: string };

/** A real agent inside `host`, against its own fake manager, using the stack's VM storage dir. */
async function startTestAgent(host: string): Promise<TestAgent> {
  const m = await startFakeManager(lab().gateway);
  const agent = await spawnAgent(byName(host).pid, m.url, vmsDir());
  const a = { host, m, agent };
  agents.set(host, a);
  await waitFor('the test agent connected', async () => m.inbox.some((x) => x.t === 'state'), 60_000, 100);
  return a;
}

const haMessages = (a: TestAgent) => a.m.inbox.filter((x): x is Msg & HaMsg => x.t === 'ha');
const log = (a: TestAgent) => a.agent.lines.slice(-30).join('\n');

async function runningVm(prefix: string) {
  const { vmId, vm } = await createTestVm(api, prefix);
  made.push(vmId);
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host, 'the domain is on a lab host');
  // The stack's agent keeps the copy of its definition beside its disk.
  const copy = join(vmsDir(), `${vm.uuid}.domain.xml`);
  await waitFor('the definition copy', async () => existsSync(copy), 30_000, 200);
  assert.match(readFileSync(copy, 'utf8'), new RegExp(`<uuid>${vm.uuid}</uuid>`));
  return { uuid: vm.uuid, name: vm.name, home: host.name };
}

function fence(action: string, plug: string): { code: number | null; out: string } {
  const r = spawnSync(FENCE, [], { input: `action=${action}\nplug=${plug}\npassword=unused\n`, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

before(async () => {
  ({ api } = await admin());
  vmA = await runningVm('ha-a');
  vmB = await runningVm('ha-b');
  for (const h of hosts()) await startTestAgent(h.name);
});

after(async () => {
  for (const a of agents.values()) {
    await a.agent.stop();
    a.m.close();
  }
  // A host a failed test left powered off comes back (poweron of a running host does nothing).
  for (const h of hosts()) spawnSync('bash', [LAB_SH, 'poweron', '--name', lab().name, h.name]);
  // The stack's agents of powered-off hosts died with them.
  await startAgents(api).catch((err) => console.error('could not restart the stack agents:', err));
  // VM A was moved behind the manager's back (that is the test): its domain goes by hand first,
  // then the manager deletes both VMs (and their files, the definition copies among them).
  for (const h of vmA ? hosts() : []) {
    await virsh(h, 'destroy', vmA.uuid);
    await virsh(h, 'undefine', vmA.uuid);
  }
  for (const vmId of made) {
    await removeVms(api, [vmId]).catch((err) => console.error(`could not remove test VM ${vmId}:`, err));
  }
});

test('disk locks: a VM running on one host is refused on another, by libvirt and by ha.restart', async () => {
  const home = byName(vmA.home);
  const other = hosts().find((h) => h.name !== vmA.home)!;
  assert.equal(await domState(home, vmA.uuid), 'running');

  // libvirt itself: the same definition, defined and started on a second host.
  const copy = join(vmsDir(), `${vmA.uuid}.domain.xml`);
  const defined = await virsh(other, 'define', copy);
  assert.equal(defined.code, 0, defined.stderr);
  const started = await virsh(other, 'start', vmA.uuid);
  assert.notEqual(started.code, 0, 'a second start of the same disks is refused');
  assert.match(started.stderr, /Failed to get "write" lock|resource busy|is locked/);
  assert.equal((await virsh(other, 'undefine', vmA.uuid)).code, 0);

  // ha.restart on that host: CONFLICT, locked, and nothing left defined there.
  const a = agents.get(other.name)!;
  const reply = await a.m.request('ha.restart', { uuid: vmA.uuid }, 60_000, () => log(a));
  assert.equal(reply.ok, false, JSON.stringify(reply));
  const error = reply.error as { code: string; message: string; details?: { locked?: boolean } };
  assert.equal(error.code, 'CONFLICT');
  assert.equal(error.details?.locked, true);
  assert.match(error.message, new RegExp(`VM ${vmA.name}`));
  assert.equal(await domState(other, vmA.uuid), null, 'the definition this call made is gone again');
  assert.equal(await domState(home, vmA.uuid), 'running', 'the VM still runs on its host');
});

test('restart: once off and undefined on its host, ha.restart runs the VM on another host from its copy', async () => {
  const home = byName(vmA.home);
  const target =
    hosts().find((h) => h.name !== vmA.home && h.name !== vmB.home) ?? hosts().find((h) => h.name !== vmA.home)!;
  assert.equal((await virsh(home, 'destroy', vmA.uuid)).code, 0);
  assert.equal((await virsh(home, 'undefine', vmA.uuid)).code, 0);
  writeFileSync(serialLogPath(vmA.uuid), '');

  const a = agents.get(target.name)!;
  const reply = await a.m.request('ha.restart', { uuid: vmA.uuid }, 90_000, () => log(a));
  assert.equal(reply.ok, true, JSON.stringify(reply));
  const result = reply.result as { alreadyRunning: boolean; domain: { uuid: string; state: string } };
  assert.equal(result.alreadyRunning, false);
  assert.equal(result.domain.uuid, vmA.uuid);
  assert.equal(await domState(target, vmA.uuid), 'running', 'libvirt on the target runs it');
  assert.equal(await domState(home, vmA.uuid), null);
  await waitFor(
    'the guest to boot on the new host',
    async () => serialText(vmA.uuid).includes(`VIREO GUEST ${vmA.name} READY`),
    120_000,
    250,
  );
  // Sent again (a lost reply): nothing new is started.
  const again = await a.m.request('ha.restart', { uuid: vmA.uuid }, 30_000, () => log(a));
  assert.equal((again.result as { alreadyRunning: boolean }).alreadyRunning, true);
  vmA.home = target.name;
});

test('self-fencing: heartbeat writes failing for selfFenceAfterMs force the HA VM off; peers see the file stop', async () => {
  const fenced = byName(vmB.home);
  const a = agents.get(fenced.name)!;
  const peer = agents.get(otherThan(fenced.name))!;
  const configured = await a.m.request(
    'ha.configure',
    { intervalMs: 1_000, selfFenceAfterMs: 4_000, haVmUuids: [vmB.uuid] },
    30_000,
    () => log(a),
  );
  assert.equal(configured.ok, true, JSON.stringify(configured));
  // Heartbeats flow: own writes succeed, the peer sees this host's file change.
  await waitFor(
    'a healthy ha message',
    async () => haMessages(a).at(-1)?.own.lastWriteOkAgoMs !== null && !haMessages(a).at(-1)?.own.error,
    15_000,
  );
  const freshPeer = await waitFor(
    "the peer seeing this host's heartbeat change",
    async () =>
      haMessages(peer)
        .at(-1)
        ?.peers.find((p) => p.hostUuid === fenced.hostUuid),
    15_000,
  );
  assert.ok(freshPeer.unchangedForMs < 5_000, JSON.stringify(freshPeer));

  // Writes fail: the heartbeat dir is read-only inside this host's mount namespace only.
  const ro = spawnSync('nsenter', [
    '-t',
    String(fenced.pid),
    '-m',
    'sh',
    '-c',
    `mount --bind ${hbDir()} ${hbDir()} && mount -o remount,bind,ro ${hbDir()}`,
  ]);
  assert.equal(ro.status, 0, String(ro.stderr));
  const broke = Date.now();
  try {
    await waitFor('the HA VM forced off', async () => (await domState(fenced, vmB.uuid)) === 'shut off', 15_000, 200);
    const took = Date.now() - broke;
    assert.ok(took >= 3_000, `not before selfFenceAfterMs (${took} ms)`);
    const report = await waitFor(
      'the ha message reporting it',
      async () => haMessages(a).find((x) => x.own.selfFenced.includes(vmB.uuid)),
      10_000,
    );
    assert.match(report.own.error ?? '', /read-only|EROFS/i);
    const stale = await waitFor(
      "the peer seeing this host's heartbeat unchanged",
      async () =>
        haMessages(peer)
          .at(-1)
          ?.peers.find((p) => p.hostUuid === fenced.hostUuid && p.unchangedForMs >= 4_000),
      15_000,
    );
    assert.ok(stale.unchangedForMs >= 4_000);
    assert.ok(
      a.agent.lines.some((l) => /self-fencing: forcing off an HA VM/.test(l)),
      'the agent logs the self-fence',
    );
  } finally {
    spawnSync('nsenter', ['-t', String(fenced.pid), '-m', 'umount', hbDir()]);
  }
  // Writes work again: the error clears.
  await waitFor('writes succeeding again', async () => !haMessages(a).at(-1)?.own.error, 15_000);
});

test('power: fence_vireo_lab off kills the host (its VM disks are free again), on boots it', async () => {
  const victim = byName(vmA.home);
  const rescuer = agents.get(otherThan(victim.name))!;
  assert.deepEqual(fence('status', victim.name).code, 0);
  assert.match(fence('metadata', victim.name).out, /<resource-agent name="fence_vireo_lab"/);
  assert.equal(fence('status', `${lab().name}-h9`).code, 1, 'an unknown plug fails');

  const off = fence('off', victim.name);
  assert.equal(off.code, 0, off.out);
  assert.equal(fence('status', victim.name).code, 2);
  assert.equal(spawnSync('bash', [LAB_SH, 'power', '--name', lab().name, victim.name]).stdout.toString().trim(), 'off');
  const pids = spawnSync('ip', ['netns', 'pids', victim.name]).stdout.toString().trim();
  assert.equal(pids, '', 'nothing runs in the powered-off host');

  // Its QEMU and virtlockd died with it: the VM starts elsewhere now.
  const reply = await rescuer.m.request('ha.restart', { uuid: vmA.uuid }, 90_000, () => log(rescuer));
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.equal(await domState(byName(rescuer.host), vmA.uuid), 'running');

  const on = fence('on', victim.name);
  assert.equal(on.code, 0, on.out);
  assert.equal(fence('status', victim.name).code, 0);
  const back = byName(victim.name);
  const version = await virsh(back, 'hostname');
  assert.equal(version.code, 0, `libvirtd answers again: ${version.stderr}`);
  // Its libvirt still has the VM's persistent definition (shut off): what the manager's HA
  // monitor finds after a fenced host returns. Removed here, the VM runs on the rescuer.
  assert.equal(await domState(back, vmA.uuid), 'shut off');
  await virsh(back, 'undefine', vmA.uuid);
});
