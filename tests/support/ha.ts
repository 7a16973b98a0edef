/**
 * High availability (issue 9) in lab tests: HA settings, host HA state, and the lab faults
 * (power a host off and on, cut it from the manager, block its storage heartbeat).
 *
 * HA settings are written straight into the test stack's database until the HA settings API
 * (`ha.setVm`, `ha.setFence`, `ha.clusterSettings.update`) is on the branch: switching to it is
 * this file only. The host's HA state is read the same way.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Api } from './api.ts';
import { inHost, type LabHost, lab } from './lab.ts';

const exec = promisify(execFile);
const stackDir = process.env.VIREO_TEST_STACK_DIR;
if (!stackDir) throw new Error('VIREO_TEST_STACK_DIR is not set: run through scripts/test.sh');
process.env.DATABASE_URL ??= `file:${path.join(stackDir, 'vireo.db')}`;
const db = await import('@vireo/db');

export type ClusterHa = {
  hostDownAfterS: number;
  heartbeatStaleAfterS: number;
  heartbeatIntervalS: number;
  selfFenceAfterS: number;
};

export async function setClusterHa(_api: Api, clusterId: string, s: ClusterHa): Promise<void> {
  await db.getDb().cluster.update({
    where: { id: clusterId },
    data: {
      haHostDownAfterS: s.hostDownAfterS,
      haHeartbeatStaleAfterS: s.heartbeatStaleAfterS,
      haHeartbeatIntervalS: s.heartbeatIntervalS,
      haSelfFenceAfterS: s.selfFenceAfterS,
    },
  });
}

export async function setVmHa(
  _api: Api,
  input: { vmId: string; enabled: boolean; priority?: number; dependsOnVmId?: string | null },
): Promise<void> {
  await db.getDb().vm.update({
    where: { id: input.vmId },
    data: { haEnabled: input.enabled, haPriority: input.priority ?? 0, haDependsOnId: input.dependsOnVmId ?? null },
  });
}

export async function setFence(
  _api: Api,
  input: { hostId: string; agent: string; options: Record<string, string> },
): Promise<void> {
  await db.getDb().host.update({
    where: { id: input.hostId },
    data: { fenceAgent: input.agent, fenceOptions: JSON.stringify(input.options) },
  });
}

export async function hostHa(_api: Api, hostId: string): Promise<{ state: string; note: string | null }> {
  const h = await db.getDb().host.findUniqueOrThrow({ where: { id: hostId }, select: { haState: true, haNote: true } });
  return { state: h.haState, note: h.haNote };
}

export async function clusterOfHost(hostId: string): Promise<string> {
  const h = await db.getDb().host.findUniqueOrThrow({ where: { id: hostId }, select: { clusterId: true } });
  return h.clusterId;
}

export async function closeHaDb(): Promise<void> {
  await db.closeDb();
}

function stackName(): string {
  const name = process.env.STACK_NAME;
  if (!name) throw new Error('STACK_NAME is not set: run through scripts/test.sh');
  return name;
}

/** The lab host as lab.json says now (its keeper pid changes when it is powered on again). */
export function labHost(name: string): LabHost {
  const h = lab().hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no lab host ${name}`);
  return h;
}

/** Powers a lab host off (everything in its namespaces dies: agent, libvirtd, QEMUs) or on again. */
export async function power(host: LabHost, action: 'poweroff' | 'poweron'): Promise<void> {
  await exec('bash', ['lab/lab.sh', action, '--name', stackName(), host.name], { timeout: 120_000 });
}

function managerTarget(): { address: string; port: string } {
  const url = new URL(process.env.VIREO_TEST_URL ?? 'http://127.0.0.1:3100');
  return { address: lab().gateway, port: url.port };
}

/** Drops the host's traffic with the manager (both ways), inside its network namespace. */
export async function cutFromManager(host: LabHost, cut: boolean): Promise<void> {
  const { address, port } = managerTarget();
  const op = cut ? '-I' : '-D';
  for (const rule of [
    ['OUTPUT', '-d', address, '-p', 'tcp', '--dport', port, '-j', 'DROP'],
    ['INPUT', '-s', address, '-p', 'tcp', '--sport', port, '-j', 'DROP'],
  ]) {
    const [chain, ...rest] = rule;
    const r = await inHost(host, ['iptables', op, chain ?? 'OUTPUT', ...rest]);
    if (r.code !== 0 && cut) throw new Error(`iptables ${op} ${rule.join(' ')}: ${r.stderr}`);
  }
}

/** The storage heartbeat dir on shared storage (same path on every host). */
export function heartbeatDir(): string {
  return path.join(lab().sharedDir, 'vms', '.vireo-ha');
}

/** Makes the heartbeat dir read-only for this host alone (a read-only bind mount in its mount namespace). */
export async function blockHeartbeat(host: LabHost, block: boolean): Promise<void> {
  const dir = heartbeatDir();
  const r = block
    ? await inHost(host, ['sh', '-c', `mkdir -p /tmp/vireo-ha-ro && mount --bind -o ro /tmp/vireo-ha-ro ${dir}`])
    : await inHost(host, ['umount', dir]);
  if (r.code !== 0 && block) throw new Error(`blocking the heartbeat of ${host.name}: ${r.stderr}`);
}

/** QEMU processes per domain uuid (any host: the lab shares one PID namespace), in one `ps`. */
export async function qemuCounts(uuids: readonly string[]): Promise<Map<string, number>> {
  const { stdout } = await exec('ps', ['-eo', 'args'], { maxBuffer: 16 << 20 });
  const lines = stdout.split('\n').filter((l) => l.includes('qemu-system'));
  return new Map(uuids.map((u) => [u, lines.filter((l) => l.includes(u)).length]));
}

/** "major:minor:inode" as /proc/locks names a file. */
export async function lockKey(file: string): Promise<string> {
  const st = await stat(file);
  return keyOf(Number(st.dev), Number(st.ino));
}

function keyOf(dev: number, inode: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `${hex((dev >> 8) & 0xfff)}:${hex((dev & 0xff) | ((dev >> 12) & 0xfff00))}:${inode}`;
}

/**
 * How many lab hosts hold a lock on each file now (/proc/locks by device and inode; each
 * holder's host by its network namespace): the lock manager's virtlockd and QEMU's own image
 * locks of one running VM are on one host, a VM's disk held from two hosts would count 2.
 */
export async function lockHostCounts(keys: readonly string[]): Promise<Map<string, number>> {
  const text = await readFile('/proc/locks', 'utf8');
  const hostsOf = new Map(keys.map((k) => [k, new Set<string>()]));
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; "-> " marks a waiter, not a holder.
    if (f[1] === '->') continue;
    const holders = f[5] ? hostsOf.get(f[5]) : undefined;
    const pid = f[4];
    if (!holders || !pid || pid === '-1') continue;
    const ns = await readlink(`/proc/${pid}/ns/net`).catch(() => null);
    if (ns) holders.add(ns);
  }
  // QEMU's own image locks are OFD locks, which /proc/locks lists without a pid: each QEMU's
  // open files say which of them carry a lock (fdinfo "lock:" lines).
  const { stdout } = await exec('pgrep', ['-f', 'qemu-system']).catch(() => ({ stdout: '' }));
  for (const pid of stdout.split('\n').filter(Boolean)) {
    const ns = await readlink(`/proc/${pid}/ns/net`).catch(() => null);
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    if (!ns) continue;
    for (const fd of fds) {
      const st = await stat(`/proc/${pid}/fd/${fd}`).catch(() => null);
      if (!st?.isFile()) continue;
      const holders = hostsOf.get(keyOf(Number(st.dev), Number(st.ino)));
      if (!holders) continue;
      const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
      if (/^lock:/m.test(info)) holders.add(ns);
    }
  }
  return new Map([...hostsOf].map(([k, set]) => [k, set.size]));
}

/**
 * Removes stale definitions of these domains: on every lab host other than `keepOn`, a shut-off
 * definition left where the VM ran before an HA restart (libvirt keeps it, as after a reboot).
 * The disks stay: they are the VM's, now running elsewhere.
 */
export async function undefineStale(uuid: string, keepOn: string | null): Promise<void> {
  for (const h of lab().hosts) {
    if (h.name === keepOn) continue;
    const r = await inHost(h, ['virsh', '-q', '-c', 'qemu:///system', 'domstate', uuid]);
    if (r.code === 0 && r.stdout.trim() === 'shut off')
      await inHost(h, ['virsh', '-q', '-c', 'qemu:///system', 'undefine', uuid, '--nvram']);
  }
}
