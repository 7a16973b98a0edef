/**
 * Test access to the lab: run commands inside a lab host, ask libvirt directly (virsh), read
 * files on shared storage. Tests check libvirt itself, never only Vireo's own database.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface LabHost {
  name: string;
  address: string;
  pid: number;
}

export interface Lab {
  name: string;
  gateway: string;
  sharedDir: string;
  hosts: LabHost[];
}

export function lab(): Lab {
  const path = process.env.VIREO_TEST_LAB_JSON;
  if (!path) throw new Error('VIREO_TEST_LAB_JSON is not set: run the suite with `npm test`.');
  return JSON.parse(readFileSync(path, 'utf8')) as Lab;
}

/**
 * True when every lab host is online in the manager. Tests may enroll extra (fake) hosts, which
 * stay listed offline once they disconnect: only the lab's own hosts count.
 */
export function labHostsAllOnline(hosts: { name: string; status: string }[]): boolean {
  const names = new Set(lab().hosts.map((h) => h.name));
  return hosts.filter((h) => names.has(h.name) && h.status === 'online').length === names.size;
}

/** Runs a command inside a lab host's mount and network namespaces. */
export async function inHost(host: LabHost, cmd: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec('nsenter', ['-t', String(host.pid), '-m', '-n', ...cmd], { timeout: 30_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

export const virsh = (host: LabHost, ...args: string[]) =>
  inHost(host, ['virsh', '-q', '-c', 'qemu:///system', ...args]);

/** libvirt's own word on a domain's state on a host ("running", "shut off"), or null if absent. */
export async function domState(host: LabHost, uuid: string): Promise<string | null> {
  const r = await virsh(host, 'domstate', uuid);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** The lab host that has this domain defined, if any. */
export async function hostOfDomain(uuid: string): Promise<LabHost | null> {
  for (const host of lab().hosts) {
    if ((await domState(host, uuid)) !== null) return host;
  }
  return null;
}

/** Every domain UUID defined on every lab host. */
export async function allDomainUuids(): Promise<string[]> {
  const out: string[] = [];
  for (const host of lab().hosts) {
    const r = await virsh(host, 'list', '--all', '--uuid');
    out.push(
      ...r.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }
  return out.sort();
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
