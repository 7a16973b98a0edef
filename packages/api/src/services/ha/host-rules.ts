/**
 * The per-host half of the HA step: from a host's HA state and its signals (agent connection,
 * storage heartbeat seen by peers, fence device), the state it moves to and whether its HA VMs
 * may be restarted now. Pure; decide.ts runs it for every host, then plans the restarts.
 */
import type { HaAction, HaConfig, HaHost, HaHostState } from './types.ts';

/** A fence run that has been 'fencing' this long was cut short (its manager died): run it again. */
export const FENCE_STUCK_MS = 120_000;

export type HostOutcome = {
  actions: HaAction[];
  /** Its state once this step's host-state actions are carried out. */
  state: HaHostState;
  /** Its HA VMs may be restarted elsewhere now (fenced, or the self-fence wait is over). */
  restartVms: boolean;
};

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** When a host whose heartbeat stopped must have forced off its HA VMs (its own watchdog). */
export function selfFencedAtMs(host: HaHost, config: HaConfig): number | null {
  // Its heartbeat was alive at least while its agent was connected.
  const alive = Math.max(host.heartbeatSeenAtMs ?? 0, host.lastSeenAtMs ?? 0);
  if (alive === 0) return null;
  return alive + config.heartbeatStaleAfterMs + config.selfFenceAfterMs + config.heartbeatIntervalMs;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function selfFenceNote(host: HaHost, config: HaConfig, why: string): string {
  const at = selfFencedAtMs(host, config);
  return at === null
    ? `${why}: its HA VMs restart once it must have stopped them itself`
    : `${why}: its HA VMs may restart from ${isoTime(at)}, when it must have stopped them itself`;
}

export function hostStep(host: HaHost, config: HaConfig, nowMs: number): HostOutcome {
  const actions: HaAction[] = [];
  let state = host.haState;
  const move = (to: HaHostState, note: string) => {
    if (to !== state || (host.haNote !== undefined && to === host.haState && note !== host.haNote)) {
      actions.push({ kind: 'host-state', hostId: host.id, state: to, note });
    }
    state = to;
  };

  if (host.connected) {
    if (state !== 'ok') move('ok', 'agent back');
    return { actions, state, restartVms: false };
  }

  if (state === 'ok' || state === 'unreachable') {
    // Never connected: it runs nothing of ours, there is nothing to judge.
    if (host.lastSeenAtMs === null) return { actions, state, restartVms: false };
    const downMs = nowMs - host.lastSeenAtMs;
    if (downMs < config.hostDownAfterMs) return { actions, state, restartVms: false };
    const beatAgeMs = host.heartbeatSeenAtMs === null ? null : nowMs - host.heartbeatSeenAtMs;
    if (host.peersReporting === 0) {
      move(
        'unreachable',
        'host unreachable, and no other host of the cluster can read its storage heartbeat: cannot tell whether it is down, so nothing is restarted',
      );
      return { actions, state, restartVms: false };
    }
    if (beatAgeMs !== null && beatAgeMs < config.heartbeatStaleAfterMs) {
      move('unreachable', 'host unreachable, VMs still running');
      return { actions, state, restartVms: false };
    }
    move(
      'dead',
      `agent gone for ${seconds(downMs)} and its storage heartbeat unchanged for ${
        beatAgeMs === null ? 'as long as anyone knows' : seconds(beatAgeMs)
      }`,
    );
  }

  if (state === 'dead') {
    if (host.fenceConfigured) {
      actions.push({ kind: 'fence', hostId: host.id });
      return { actions, state, restartVms: false };
    }
    move('self-fence-wait', selfFenceNote(host, config, 'no fence device'));
  }

  if (state === 'fencing') {
    const since = host.haStateAtMs ?? nowMs;
    if (nowMs - since >= FENCE_STUCK_MS) actions.push({ kind: 'fence', hostId: host.id });
    return { actions, state, restartVms: false };
  }

  if (state === 'fenced') return { actions, state, restartVms: true };

  // 'self-fence-wait' or 'fence-failed'.
  const at = selfFencedAtMs(host, config);
  const over = at !== null && nowMs >= at;
  if (state === 'fence-failed' && !over) {
    actions.push({
      kind: 'alert',
      hostId: host.id,
      message: `Fencing ${host.name} failed: ${
        at === null
          ? 'its HA VMs restart only once it must have stopped them itself'
          : `its HA VMs restart only from ${isoTime(at)}, when it must have stopped them itself`
      }; any whose disks it still holds stay down (the disk locks refuse a second start).`,
    });
  }
  return { actions, state, restartVms: over };
}
