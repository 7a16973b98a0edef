/**
 * The real agent survives libvirt going away, on a real lab host: libvirt-dbus killed and
 * restarted, then the system bus (dbus-daemon) killed and restarted. Each time the agent must
 * fail requests fast while down, send a fresh full state once back, and forward lifecycle events
 * again. DESTRUCTIVE for the host's D-Bus: use a lab of your own, never the dev stack's.
 *   lab/lab.sh up --name vres --hosts 1 --subnet 10.79.0
 *   (define a small shut-off domain on it, see lab/README.md "Sample domain XML")
 *   nsenter -t <host pid> -m -n -u sh -c 'cd /work/main && VIREO_LAB_DOMAIN=res1 \
 *     node --import tsx apps/agent/test/agent-recovery-lab.ts'
 */
import { execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Msg, log, spawnAgent, startFakeManager, until } from './lab-harness.ts';

const domain = process.env.VIREO_LAB_DOMAIN ?? 'res1';
const storageDir = process.env.VIREO_VM_STORAGE_DIR ?? join(tmpdir(), 'vireo-recovery-lab');
const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' }).trim();
const virsh = (...args: string[]) => sh('virsh', '-q', '-c', 'qemu:///system', ...args);
const uuid = virsh('domuuid', domain);

/** The process behind a bus name, asked of the bus daemon (no name guessing, no pkill). */
function ownerPid(name: string): number {
  const out = sh(
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
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();

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
  const out = openSync(join(tmpdir(), 'vres-libvirt-dbus.log'), 'a');
  spawn(
    'setsid',
    ['setpriv', '--reuid=libvirtdbus', '--regid=libvirtdbus', '--init-groups', '--', 'libvirt-dbus', '--system'],
    { detached: true, stdio: ['ignore', out, out] },
  ).unref();
}

const checks: [string, boolean][] = [];
const check = (name: string, ok: boolean) => {
  checks.push([name, ok]);
  log(ok ? 'PASS' : 'FAIL', name);
};

try {
  virsh('destroy', domain);
} catch {
  // already shut off: what we want
}
const m = await startFakeManager();
const agent = await spawnAgent(m.url, storageDir, true);
const agentLog = () => agent.lines.join('\n');
const states = () => m.inbox.filter((x) => x.t === 'state');
const eventAfter = (from: number, event: string) => () =>
  m.inbox.slice(from).find((x: Msg) => x.t === 'domain' && x.uuid === uuid && x.event === event);

/** virsh start (outside the agent) and a vm.forceOff request: both events must reach the manager. */
async function lifecycleReachesManager(when: string): Promise<void> {
  const from = m.inbox.length;
  virsh('start', domain);
  const started = await until(`${when}: started event`, 15_000, eventAfter(from, 'started'), agentLog);
  const off = await m.request('vm.forceOff', { uuid });
  const stopped = await until(`${when}: stopped event`, 15_000, eventAfter(from, 'stopped'), agentLog);
  log(`${when}: events ${JSON.stringify([started.event, stopped.event])}, forceOff ok=${off.ok}`);
  check(`${when}: lifecycle events and requests work`, off.ok === true);
}

/** After a loss: requests fail fast and clearly, then, once restarted, a new full state arrives. */
async function survives(what: string, kill: () => void, restart: () => void): Promise<void> {
  const statesBefore = states().length;
  const noticedBefore = agent.lines.filter((l) => l.includes('libvirt unreachable')).length;
  kill();
  await until(
    `${what}: agent notices`,
    10_000,
    () => agent.lines.filter((l) => l.includes('libvirt unreachable')).length > noticedBefore,
    agentLog,
  );
  const t = performance.now();
  const refused = await m.request('vm.start', { uuid });
  const ms = Math.round(performance.now() - t);
  log(`${what}: request while down → ${JSON.stringify(refused.error)} in ${ms} ms`);
  check(
    `${what}: request fails fast with LIBVIRT_ERROR "not reachable"`,
    refused.ok === false &&
      (refused.error as { code: string; message: string }).code === 'LIBVIRT_ERROR' &&
      /libvirt is not reachable on this host/.test((refused.error as { message: string }).message) &&
      ms < 1000,
  );
  restart();
  const tBack = performance.now();
  await until(`${what}: fresh state`, 30_000, () => states().length > statesBefore || undefined, agentLog);
  const owner = ownerPid('org.libvirt');
  log(
    `${what}: new full state ${Math.round(performance.now() - tBack)} ms after restart; org.libvirt is pid ${owner} (${cmdline(owner)})`,
  );
  check(`${what}: a new full state was sent`, states().at(-1)?.domains !== undefined);
}

try {
  await until('first state', 30_000, () => states()[0], agentLog);
  await lifecycleReachesManager('before');

  await survives(
    'libvirt-dbus restart',
    () => {
      const pid = ownerPid('org.libvirt');
      log(`killing libvirt-dbus pid ${pid} (${cmdline(pid)})`);
      process.kill(pid, 'SIGTERM');
    },
    () => {
      log('restarting libvirt-dbus');
      startLibvirtDbus();
    },
  );
  await lifecycleReachesManager('after libvirt-dbus restart');

  await survives(
    'system bus restart',
    () => {
      const pid = Number(readFileSync('/run/dbus/pid', 'utf8'));
      // Seen here: libvirt-dbus and libvirtd (9.0) both exit when their system bus goes away.
      log(`killing dbus-daemon pid ${pid} (${cmdline(pid)}); libvirt-dbus and libvirtd exit with it`);
      process.kill(pid, 'SIGTERM');
    },
    () => {
      log("restarting dbus-daemon, libvirtd (the lab's command line), libvirt-dbus");
      rmSync('/run/dbus/pid', { force: true });
      sh('dbus-daemon', '--system', '--fork');
      if (!alive('/run/libvirtd.pid')) sh('libvirtd', '-d', '--listen', '-p', '/run/libvirtd.pid');
      startLibvirtDbus();
    },
  );
  await lifecycleReachesManager('after system bus restart');
} finally {
  await agent.stop();
  m.close();
}
const failed = checks.filter(([, ok]) => !ok);
log(
  failed.length
    ? `RECOVERY LAB FAILED: ${failed.map(([n]) => n).join(', ')}`
    : `RECOVERY LAB OK (${checks.length} checks)`,
);
process.exit(failed.length ? 1 : 0);
