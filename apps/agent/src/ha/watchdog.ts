/**
 * The HA watchdog (issue 9): self-fencing for a host whose agent died or hangs.
 *
 * The manager restarts a dead host's HA VMs elsewhere once that host "must have stopped them
 * itself" (services/ha/host-rules.ts, selfFencedAtMs). The agent does that when its storage
 * heartbeat fails (heartbeat.ts), but a dead agent does nothing: its QEMUs would keep running,
 * held back from a second run only by the disk locks. So, like Proxmox's watchdog-mux, a small
 * process beside the agent (watchdog-main.ts, started by the agent and outliving it) watches a
 * file the agent touches every heartbeat round (`ha.alive` in its state dir). When the agent has
 * been silent for `selfFenceAfterMs` (from ha.json), it SIGKILLs the QEMU processes of this
 * host's HA VMs (only those in its own network namespace: lab hosts share one PID namespace),
 * and notes their uuids (`ha-watchdog-fenced.json`) for the agent to report when it is back.
 *
 * Stopping the agent for longer than the self-fence time therefore stops the host's HA VMs, as
 * on Proxmox: put the host in maintenance first (docs/ha.md).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uuidSchema } from '@vireo/protocol';
import { z } from 'zod';
import type { Logger } from '../logger.ts';

export const alivePath = (stateDir: string) => join(stateDir, 'ha.alive');
export const watchdogPidPath = (stateDir: string) => join(stateDir, 'ha-watchdog.pid');
export const watchdogFencedPath = (stateDir: string) => join(stateDir, 'ha-watchdog-fenced.json');
const MAIN = fileURLToPath(new URL('./watchdog-main.ts', import.meta.url));

/** The agent is alive: touches `ha.alive` (created the first time). */
export function petWatchdog(stateDir: string): void {
  const path = alivePath(stateDir);
  const now = new Date();
  try {
    utimesSync(path, now, now);
  } catch {
    closeSync(openSync(path, 'a', 0o600));
  }
}

/** The pid in the watchdog's pid file, if that process is a running watchdog. */
export function runningWatchdog(stateDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(watchdogPidPath(stateDir), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('watchdog-main') ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Starts the watchdog unless one runs for this state dir: detached (its own session), so it
 * outlives the agent; the same node and loader flags as the agent.
 */
export function ensureWatchdog(stateDir: string, logger: Logger): void {
  const running = runningWatchdog(stateDir);
  if (running) {
    logger.info('HA watchdog already running', { pid: running });
    return;
  }
  const log = openSync(join(stateDir, 'ha-watchdog.log'), 'a', 0o600);
  try {
    const child = spawn(process.execPath, [...process.execArgv, MAIN, stateDir], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    if (!child.pid) throw new Error('no pid');
    writeFileSync(watchdogPidPath(stateDir), `${child.pid}\n`, { mode: 0o600 });
    logger.info('HA watchdog started', { pid: child.pid });
  } catch (err) {
    logger.error('could not start the HA watchdog: a dead agent will not stop its HA VMs', { err });
  } finally {
    closeSync(log);
  }
}

/** HA VMs the watchdog killed while the agent was away; the file is removed once read. */
export async function takeWatchdogFenced(stateDir: string): Promise<string[]> {
  const path = watchdogFencedPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  await unlink(path).catch(() => {});
  const parsed = z.array(uuidSchema).safeParse(JSON.parse(text || '[]'));
  return parsed.success ? parsed.data : [];
}

/** QEMU processes of these domains in this process's network namespace, by pid. */
export function qemuPidsOf(uuids: ReadonlySet<string>): { pid: number; uuid: string }[] {
  const ownNet = readlinkSync('/proc/self/ns/net');
  const found: { pid: number; uuid: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!args[0]?.includes('qemu-system')) continue;
      const uuid = args[args.indexOf('-uuid') + 1];
      if (args.indexOf('-uuid') < 0 || !uuid || !uuids.has(uuid)) continue;
      if (readlinkSync(`/proc/${entry}/ns/net`) !== ownNet) continue;
      found.push({ pid: Number(entry), uuid });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}
