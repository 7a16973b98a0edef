/**
 * Talking to the lab guest's root shell on ttyS0 (lab/README.md "Serial protocol") from a test:
 * commands go into the domain's serial pty inside its lab host, answers are read from the serial
 * log file on shared storage.
 *
 * QEMU's pty backend reads from the pty only while a client holds the other end open: it polls
 * for one about once a second, and bytes written by a client that opened, wrote and closed at
 * once sat unread until the next client came (seen in the lab). So the writer holds the pty open
 * for 1.5 s before and 1 s after writing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type LabHost, inHost, lab, virsh, waitFor } from './lab.ts';

export const serialLogPath = (uuid: string) => `${lab().sharedDir}/vms/${uuid}.serial.log`;

export function serialText(uuid: string): string {
  const p = serialLogPath(uuid);
  return existsSync(p) ? readFileSync(p, 'utf8').replaceAll('\r', '') : '';
}

/** Types one line into the guest's shell. */
export async function typeLine(host: LabHost, uuid: string, line: string): Promise<void> {
  const pty = (await virsh(host, 'ttyconsole', uuid)).stdout.trim();
  if (!pty.startsWith('/dev/pts/')) throw new Error(`no serial pty for ${uuid}: ${pty}`);
  const quoted = `'${`\n${line}\n`.replaceAll("'", "'\\''")}'`;
  const r = await inHost(host, ['sh', '-c', `exec 3<>${pty}; sleep 1.5; printf %s ${quoted} >&3; sleep 1`]);
  if (r.code !== 0) throw new Error(`could not write to ${pty}: ${r.stderr}`);
}

/**
 * Runs `command` in the guest's shell and returns what it printed on one line: the output is
 * tagged with a fresh token. The typed line, echoed by the tty, holds the token split by a pair
 * of quotes, so it never matches, even when the guest's own output (a counter) breaks the echo
 * into lines.
 */
export async function guestRun(host: LabHost, uuid: string, command: string, timeoutMs = 20_000): Promise<string> {
  const [head, rest] = [`OUT${randomBytes(3).toString('hex')}`, randomBytes(3).toString('hex')];
  const re = new RegExp(`${head}${rest}:(.*)\\n`);
  await typeLine(host, uuid, `echo "${head}""${rest}:$(${command})"`);
  return waitFor(`guest output of ${command}`, async () => re.exec(serialText(uuid))?.[1] ?? null, timeoutMs, 200);
}

/** The guest's data disk: vda of the kernel-boot template (base.qcow2 overlay); sector 8192 is free. */
const MARK_SECTOR = 8192;

export async function writeDiskMarker(host: LabHost, uuid: string, marker: string): Promise<void> {
  const out = await guestRun(
    host,
    uuid,
    `echo ${marker} | dd of=/dev/vda bs=512 seek=${MARK_SECTOR} conv=notrunc,fsync 2>/dev/null; echo written`,
  );
  if (out.trim() !== 'written') throw new Error(`writing the marker printed ${out}`);
}

/** The marker on the guest's disk, read past the page cache (a fresh boot or O_DIRECT-less dd). */
export function readDiskMarker(host: LabHost, uuid: string): Promise<string> {
  return guestRun(host, uuid, `dd if=/dev/vda bs=512 skip=${MARK_SECTOR} count=1 2>/dev/null | head -n 1`).then((s) =>
    s.trim(),
  );
}

/** The ALIVE counters (seconds since /init started) the guest printed, in order. */
export function aliveCounters(text: string, hostname: string): number[] {
  return [...text.matchAll(new RegExp(`VIREO GUEST ${hostname} ALIVE (\\d+)s`, 'g'))].map((m) => Number(m[1]));
}

/** Counter lines the guest printed, with when the test first saw each (host clock, ms). */
export interface Tick {
  n: number;
  at: number;
}

/**
 * Follows the serial log every 20 ms. The file may be truncated when the destination QEMU opens
 * it (libvirt's `append='off'`): then it is read again from the start.
 */
export function tailCounter(uuid: string): { stop: () => Tick[]; ticks: () => Tick[]; truncations: () => number } {
  const path = serialLogPath(uuid);
  const ticks: Tick[] = [];
  let offset = 0;
  let partial = '';
  let truncations = 0;
  const timer = setInterval(() => {
    if (!existsSync(path)) return;
    const buf = readFileSync(path);
    if (buf.length < offset) {
      truncations += 1;
      offset = 0;
      partial = '';
    }
    const text = partial + buf.subarray(offset).toString('latin1').replaceAll('\r', '').replaceAll('\0', '');
    offset = buf.length;
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    const now = Date.now();
    for (const line of lines) {
      const m = /^C(\d+)$/.exec(line.trim());
      if (m) ticks.push({ n: Number(m[1]), at: now });
    }
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return ticks;
    },
    ticks: () => ticks,
    truncations: () => truncations,
  };
}
