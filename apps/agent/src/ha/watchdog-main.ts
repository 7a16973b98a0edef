/**
 * The HA watchdog process (watchdog.ts says why): `node watchdog-main.ts STATE_DIR`. Started
 * detached by the agent; exits when its pid file no longer names it (another took over, or the
 * stack that started it removed the file).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haConfigureParamsSchema } from '@vireo/protocol';
import { HA_DEFAULTS } from './settings.ts';
import { alivePath, qemuPidsOf, watchdogFencedPath, watchdogPidPath } from './watchdog.ts';

const stateDir = process.argv[2];
if (!stateDir) {
  console.error('usage: watchdog-main.ts STATE_DIR');
  process.exit(2);
}
const TICK_MS = 1_000;

function log(message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ at: new Date().toISOString(), component: 'ha-watchdog', message, ...fields }));
}

function settings() {
  try {
    const parsed = haConfigureParamsSchema.safeParse(
      JSON.parse(readFileSync(join(stateDir as string, 'ha.json'), 'utf8')),
    );
    return parsed.success ? parsed.data : HA_DEFAULTS;
  } catch {
    return HA_DEFAULTS;
  }
}

function stillMine(): boolean {
  try {
    return Number(readFileSync(watchdogPidPath(stateDir as string), 'utf8').trim()) === process.pid;
  } catch {
    return false;
  }
}

function noteFenced(uuids: string[]): void {
  const path = watchdogFencedPath(stateDir as string);
  let known: string[] = [];
  try {
    known = JSON.parse(readFileSync(path, 'utf8')) as string[];
  } catch {
    // none yet
  }
  writeFileSync(path, JSON.stringify([...new Set([...known, ...uuids])]), { mode: 0o600 });
}

function tick(): void {
  if (!stillMine()) {
    log('pid file no longer names this watchdog: exiting');
    process.exit(0);
  }
  const { haVmUuids, selfFenceAfterMs } = settings();
  if (haVmUuids.length === 0) return;
  let petAt: number;
  try {
    petAt = statSync(alivePath(stateDir as string)).mtimeMs;
  } catch {
    return; // never armed by an agent
  }
  const silentMs = Date.now() - petAt;
  if (silentMs < selfFenceAfterMs) return;
  const victims = qemuPidsOf(new Set(haVmUuids));
  if (victims.length === 0) return;
  for (const v of victims) {
    try {
      process.kill(v.pid, 'SIGKILL');
      log('the agent has been silent past the self-fence time: killed the QEMU of an HA VM', {
        uuid: v.uuid,
        pid: v.pid,
        silentMs: Math.round(silentMs),
      });
    } catch (err) {
      log('could not kill the QEMU of an HA VM', { uuid: v.uuid, pid: v.pid, err: String(err) });
    }
  }
  noteFenced(victims.map((v) => v.uuid));
}

log('started', { stateDir, pid: process.pid });
setInterval(tick, TICK_MS);
