/**
 * The real agent survives libvirt going away, on a real lab host: libvirt-dbus killed and
 * restarted, then the system bus (dbus-daemon) killed and restarted. Each time the agent must
 * fail requests fast while down, send a fresh full state once back, and forward lifecycle events
 * again. Runs in the suite against the test lab's host 2, driven by a fake manager; the stack's
 * own agent there loses libvirt too and recovers the same way (its manager sees it come back).
 * The daemons are restarted with the lab's own command lines, then `lab.sh refresh-pids`
 * records them so `lab.sh down` and `status` stay right.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Msg, spawnAgent, startFakeManager, until } from './lab-harness.ts';

const labJson = process.env.VIREO_TEST_LAB_JSON;
if (!labJson) throw new Error('VIREO_TEST_LAB_JSON is not set: run with scripts/test.sh.');
const lab = JSON.parse(readFileSync(labJson, 'utf8')) as {
  name: string;
  gateway: string;
  sharedDir: string;
  imagesDir: string;
  hosts: { name: string; pid: number; hostDir: string }[];
};
const host = lab.hosts.at(-1)!;
const inHost = (...cmd: string[]) =>
  execFileSync('nsenter', ['-t', String(host.pid), '-m', '-n', '-u', '--', ...cmd], { encoding: 'utf8' }).trim();
const virsh = (...args: string[]) => inHost('virsh', '-q', '-c', 'qemu:///system', ...args);

/** The process behind a bus name, asked of the host's bus daemon (no name guessing, no pkill). */
function ownerPid(name: string): number {
  const out = inHost(
    'busctl',
    '--system',
    'call',
    'org.freedesktop.DBus',
    '/org/freedesktop/DBus',
    'org.freedesktop.DBus',
    'GetConnectionUnixProcessID',
    's',
    name,
  );
  return Number(/^u (\d+)$/.exec(out)?.[1]);
}

function alive(pidFile: string): boolean {
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** The lab's own command (lab/lab.sh host_init): setpriv execs, so the child is libvirt-dbus. */
function startLibvirtDbus(): void {
  const setpriv = ['setpriv', '--reuid=libvirtdbus', '--regid=libvirtdbus', '--init-groups', '--'];
  const args = ['-t', String(host.pid), '-m', '-n', '-u', '--', 'setsid', ...setpriv, 'libvirt-dbus', '--system'];
  spawn('nsenter', args, { detached: true, stdio: 'ignore' }).unref();
}

test('the real agent survives libvirt-dbus and system bus restarts on a lab host', async () => {
  const m = await startFakeManager(lab.gateway);
  const agent = await spawnAgent(host.pid, m.url, join(lab.sharedDir, 'agent-recovery-lab'));
  let uuid = '';
  after(async () => {
    if (uuid) await m.request('vm.delete', { uuid }).catch(() => undefined);
    await agent.stop();
    m.close();
  });
  const agentLog = () => agent.lines.join('\n');
  const states = () => m.inbox.filter((x) => x.t === 'state');
  const eventAfter = (from: number, event: string) => () =>
    m.inbox.slice(from).find((x: Msg) => x.t === 'domain' && x.uuid === uuid && x.event === event);
  await until('first state', 30_000, () => states()[0], agentLog);

  uuid = randomUUID();
  const created = await m.request('vm.create', {
    spec: {
      uuid,
      name: `recovery-${uuid.slice(0, 6)}`,
      vcpus: 1,
      memoryMiB: 128,
      template: {
        kernelPath: join(lab.imagesDir, 'vmlinuz'),
        initrdPath: join(lab.imagesDir, 'initrd.img'),
        diskPath: join(lab.imagesDir, 'base.qcow2'),
        cmdline: 'console=ttyS0',
      },
    },
  });
  assert.equal(created.ok, true, JSON.stringify(created.error));

  /** virsh start (outside the agent) and a vm.forceOff request: both events must reach the manager. */
  async function lifecycleReachesManager(when: string): Promise<void> {
    const from = m.inbox.length;
    virsh('start', uuid);
    await until(`${when}: started event`, 15_000, eventAfter(from, 'started'), agentLog);
    const off = await m.request('vm.forceOff', { uuid });
    assert.equal(off.ok, true, `${when}: forceOff: ${JSON.stringify(off.error)}`);
    await until(`${when}: stopped event`, 15_000, eventAfter(from, 'stopped'), agentLog);
  }

  /** After a loss: requests fail fast and clearly, then, once restarted, a new full state arrives. */
  async function survives(what: string, kill: () => void, restart: () => void): Promise<void> {
    const statesBefore = states().length;
    const noticed = () => agent.lines.filter((l) => l.includes('libvirt unreachable')).length;
    const noticedBefore = noticed();
    kill();
    await until(`${what}: agent notices`, 10_000, () => noticed() > noticedBefore, agentLog);
    const t = performance.now();
    const refused = await m.request('vm.start', { uuid });
    const ms = Math.round(performance.now() - t);
    const error = refused.error as { code: string; message: string } | undefined;
    assert.equal(error?.code, 'LIBVIRT_ERROR', `${what}: ${JSON.stringify(refused)}`);
    assert.match(error.message, /libvirt is not reachable on this host/);
    assert.ok(ms < 1000, `${what}: the request failed after ${ms} ms, not at once`);
    restart();
    await until(`${what}: fresh state`, 30_000, () => states().length > statesBefore || undefined, agentLog);
    execFileSync('bash', ['lab/lab.sh', 'refresh-pids', '--name', lab.name, host.name]);
  }

  await lifecycleReachesManager('before');
  await survives('libvirt-dbus restart', () => process.kill(ownerPid('org.libvirt'), 'SIGTERM'), startLibvirtDbus);
  await lifecycleReachesManager('after libvirt-dbus restart');
  await survives(
    'system bus restart',
    // Seen here: libvirt-dbus and libvirtd (9.0) both exit when their system bus goes away.
    () => process.kill(Number(readFileSync(join(host.hostDir, 'run/dbus/pid'), 'utf8')), 'SIGTERM'),
    () => {
      inHost('rm', '-f', '/run/dbus/pid');
      inHost('dbus-daemon', '--system', '--fork');
      if (!alive(join(host.hostDir, 'run/libvirtd.pid')))
        inHost('libvirtd', '-d', '--listen', '-p', '/run/libvirtd.pid');
      startLibvirtDbus();
    },
  );
  await lifecycleReachesManager('after system bus restart');
});
