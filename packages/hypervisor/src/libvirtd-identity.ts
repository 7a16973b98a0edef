/**
 * Which libvirtd process is serving this host: its pid and the kernel's start time of that pid
 * (from /proc, so a reused pid does not look like the same daemon).
 *
 * Why this is needed: libvirt-dbus 1.4.1 does not notice a libvirtd restart. Its libvirt
 * connection dies with the old daemon and is reopened (with its event callbacks) only on the next
 * D-Bus call that needs libvirt (virtDBusConnectOpen: `virConnectIsAlive` false → reopen →
 * `virtDBusEventsRegister`). Nothing is signalled on the bus. Seen in the lab: after killing and
 * restarting libvirtd, `virsh destroy` of a running domain produced no DomainEvent signal; after
 * one Get(LibVersion) on /org/libvirt/QEMU, the next `virsh start` produced two again.
 * So we watch the daemon's identity, and on a change make libvirt-dbus reconnect and resync.
 */
import { readFile } from 'node:fs/promises';

/**
 * Pidfiles of the daemon that runs QEMU domains: monolithic libvirtd (its default pidfile), then
 * the modular virtqemud. The first one that names a live process wins.
 */
export const LIBVIRTD_PIDFILES = ['/run/libvirtd.pid', '/run/libvirt/virtqemud.pid', '/run/virtqemud.pid'];

/** "pid:starttime", or null when no pidfile names a live process (libvirtd down, or not local). */
export async function libvirtdIdentity(pidfiles: readonly string[] = LIBVIRTD_PIDFILES): Promise<string | null> {
  for (const file of pidfiles) {
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const start = await processStartTime(pid);
    if (start !== null) return `${pid}:${start}`;
  }
  return null;
}

/** Field 22 of /proc/PID/stat (clock ticks since boot); the command name before it may hold spaces. */
async function processStartTime(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null; // fields[0] is field 3 (state)
}

/**
 * Checks libvirtd's identity every `everyMs` and calls onRestart when a different daemon than last
 * time serves (none at all is not a restart yet: libvirtd may be between two lives). Returns stop.
 */
export async function watchLibvirtd(
  everyMs: number,
  pidfiles: readonly string[] = LIBVIRTD_PIDFILES,
  onRestart: () => void,
): Promise<() => void> {
  let last = await libvirtdIdentity(pidfiles);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const check = async () => {
    const now = await libvirtdIdentity(pidfiles);
    if (now === null || now === last) return;
    const before = last;
    last = now;
    if (before !== null) onRestart();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void check().finally(schedule), everyMs);
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
