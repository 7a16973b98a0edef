/**
 * When a running domain's QEMU process started, read from the host's own records: libvirt's QEMU
 * driver writes the process id to /run/libvirt/qemu/<name>.pid, and /proc/<pid>/stat field 22 is
 * the process start in clock ticks after boot (proc(5)), /proc/stat's btime the boot in seconds
 * since the epoch. This is the domain's uptime as the guest lived it: a resume from pause or a
 * revert to a memory snapshot keeps the process (and so the time), a restore from a managed save
 * starts a new one (and so the time restarts). libvirt itself exposes no start time.
 */
import { readFile } from 'node:fs/promises';

/** USER_HZ, the unit of /proc/<pid>/stat times: fixed at 100 in the Linux ABI on x86 and arm64. */
const CLOCK_TICKS_PER_S = 100;

export const QEMU_RUN_DIR = '/run/libvirt/qemu';

/** Field 22 (starttime) of a /proc/<pid>/stat line; the name in parentheses may hold spaces. */
export function startTicks(statLine: string): number | undefined {
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) && ticks > 0 ? ticks : undefined;
}

export function bootTimeS(procStat: string): number | undefined {
  const m = /^btime (\d+)$/m.exec(procStat);
  return m ? Number(m[1]) : undefined;
}

/** The start of the domain's QEMU process (ISO), or undefined when it cannot be read. */
export async function qemuStartedAt(name: string, runDir = QEMU_RUN_DIR): Promise<string | undefined> {
  try {
    const pid = Number((await readFile(`${runDir}/${name}.pid`, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const [stat, procStat] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile('/proc/stat', 'utf8')]);
    const ticks = startTicks(stat);
    const btime = bootTimeS(procStat);
    if (ticks === undefined || btime === undefined) return undefined;
    return new Date(btime * 1000 + (ticks * 1000) / CLOCK_TICKS_PER_S).toISOString();
  } catch {
    // No pid file (not the QEMU driver, or a domain that just stopped): no start time to report.
    return undefined;
  }
}
