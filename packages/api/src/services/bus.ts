/**
 * The manager's change bus: everything that changes state publishes here, and subscriptions
 * (SSE to browsers) read from it. With one manager it is in-process. When several managers
 * share a PostgreSQL database, every message also travels over LISTEN/NOTIFY (`connectBus`),
 * so a change made on one manager reaches the browsers of every manager. Messages carry their
 * origin; a manager delivers its own at once and ignores their echo.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { isPostgresUrl, MAX_NOTIFY_PAYLOAD, type NotifyChannel, openNotifyChannel } from '@vireo/db';
import type { LiveChange, VmCpuSample } from '../views.ts';

/**
 * One host's bulk stats sample, mapped to VM ids. Kept apart from the change stream: samples
 * arrive every interval for every VM and are only streamed for what a browser shows.
 */
export type StatsSample = { at: number; hostId: string; cpu: VmCpuSample[] };

/** Coordination between managers that is not a change browsers see. */
export type ControlMessage =
  /** A tab's stream lives on another manager: set what it watches there. */
  | { type: 'watch'; streamId: string; userId: string; vmIds: string[] }
  /** A session ended (logout, revoked): every manager closes what it opened under it. */
  | { type: 'session-ended'; sessionId: string }
  /** A console share link was revoked: every manager closes the views opened through it. */
  | { type: 'console-share-revoked'; linkId: string }
  /** A host's agent connected to this manager: another one holding an older connection drops it. */
  | { type: 'lease-taken'; hostId: string; managerId: string };

export type BusMessage = { type: 'change'; change: LiveChange } | { type: 'stats'; sample: StatsSample };
type WireMessage = { from: string; m: BusMessage | ControlMessage };

const emitter = new EventEmitter();
emitter.setMaxListeners(0);
/** Identifies this process's messages on the shared channel. */
const origin = randomUUID();
let channel: NotifyChannel | null = null;

function deliver(m: BusMessage | ControlMessage): void {
  if (m.type === 'change' || m.type === 'stats') emitter.emit('bus', m);
  else emitter.emit('control', m);
}

function send(m: BusMessage | ControlMessage): void {
  deliver(m);
  if (!channel) return;
  for (const part of splitForWire(m)) {
    channel.notify(JSON.stringify({ from: origin, m: part } satisfies WireMessage)).catch((err) => {
      console.error('[bus] could not send to the other managers:', err instanceof Error ? err.message : err);
    });
  }
}

/** NOTIFY carries at most ~8 kB: a big host's stats sample travels in slices. */
function splitForWire(m: BusMessage | ControlMessage): (BusMessage | ControlMessage)[] {
  const size = Buffer.byteLength(JSON.stringify(m));
  if (size <= MAX_NOTIFY_PAYLOAD - 100) return [m];
  if (m.type !== 'stats') {
    console.error(`[bus] a ${m.type} message of ${size} bytes is too big for the other managers; sent locally only`);
    return [];
  }
  const perPart = Math.max(1, Math.floor(m.sample.cpu.length / Math.ceil(size / (MAX_NOTIFY_PAYLOAD / 2))));
  const parts: BusMessage[] = [];
  for (let i = 0; i < m.sample.cpu.length; i += perPart) {
    parts.push({ type: 'stats', sample: { ...m.sample, cpu: m.sample.cpu.slice(i, i + perPart) } });
  }
  return parts;
}

export function publish(change: LiveChange): void {
  send({ type: 'change', change });
}

export function publishStats(sample: StatsSample): void {
  send({ type: 'stats', sample });
}

export function publishControl(message: ControlMessage): void {
  send(message);
}

export function onControl(listener: (message: ControlMessage) => void): () => void {
  emitter.on('control', listener);
  return () => emitter.off('control', listener);
}

/** Every host's stats samples, this manager's hosts and (PostgreSQL) the other managers'. */
export function subscribeStats(listener: (sample: StatsSample) => void): () => void {
  const onBus = (m: BusMessage) => m.type === 'stats' && listener(m.sample);
  emitter.on('bus', onBus);
  return () => emitter.off('bus', onBus);
}

export function subscribe(listener: (change: LiveChange) => void): () => void {
  const onBus = (m: BusMessage) => m.type === 'change' && listener(m.change);
  emitter.on('bus', onBus);
  return () => emitter.off('bus', onBus);
}

/**
 * On PostgreSQL, joins the channel every manager of the database shares; reconnects when the
 * connection drops (changes meanwhile are missed; browsers resync on their own reconnect).
 * With SQLite there is one manager and nothing to join.
 */
export async function connectBus(): Promise<void> {
  if (!isPostgresUrl()) return;
  const onMessage = (payload: string) => {
    let wire: WireMessage;
    try {
      wire = JSON.parse(payload) as WireMessage;
    } catch {
      return;
    }
    if (wire.from !== origin && wire.m && typeof wire.m.type === 'string') deliver(wire.m);
  };
  const open = async (): Promise<void> => {
    channel = await openNotifyChannel('vireo_bus', onMessage, (err) => {
      console.error('[bus] lost the PostgreSQL channel:', err.message);
      const lost = channel;
      channel = null;
      void lost?.close();
      retry();
    });
  };
  const retry = () => {
    setTimeout(() => {
      open().catch((err) => {
        console.error('[bus] reconnect failed; retrying:', err instanceof Error ? err.message : err);
        retry();
      });
    }, 1000).unref();
  };
  await open();
}

/**
 * Changes and stats samples in the order they were published, as one async iterator ending when
 * the signal aborts: a browser tab gets both over a single connection (see live-streams.ts).
 * Each step yields everything published since the last one (at most `maxBatch`): one message
 * normally, many in a storm, so a slow consumer sends fewer, larger messages instead of falling
 * behind one message at a time.
 */
export async function* changesAndStats(signal: AbortSignal | undefined, maxBatch = 1000): AsyncGenerator<BusMessage[]> {
  const queue: BusMessage[] = [];
  let wake: (() => void) | null = null;
  const push = (message: BusMessage) => {
    queue.push(message);
    wake?.();
    wake = null;
  };
  const onAbort = () => wake?.();
  emitter.on('bus', push);
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      if (queue.length > 0) yield queue.splice(0, maxBatch);
      else
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
    }
  } finally {
    emitter.off('bus', push);
    signal?.removeEventListener('abort', onAbort);
  }
}
