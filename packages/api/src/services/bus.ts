/**
 * The manager's in-process event bus: everything that changes state publishes here, and
 * subscriptions (SSE to browsers) read from it. One process, one bus; several managers would put
 * a broker behind this same interface.
 */
import { EventEmitter } from 'node:events';
import type { LiveChange, VmCpuSample } from '../views.ts';

const emitter = new EventEmitter();
emitter.setMaxListeners(0);

export function publish(change: LiveChange): void {
  emitter.emit('change', change);
}

export function subscribe(listener: (change: LiveChange) => void): () => void {
  emitter.on('change', listener);
  return () => emitter.off('change', listener);
}

/**
 * One host's bulk stats sample, mapped to VM ids. Kept apart from the change stream: samples
 * arrive every interval for every VM and are only streamed for what a browser shows.
 */
export type StatsSample = { at: number; hostId: string; cpu: VmCpuSample[] };

const statsEmitter = new EventEmitter();
statsEmitter.setMaxListeners(0);

export function publishStats(sample: StatsSample): void {
  statsEmitter.emit('stats', sample);
}

export function subscribeStats(listener: (sample: StatsSample) => void): () => void {
  statsEmitter.on('stats', listener);
  return () => statsEmitter.off('stats', listener);
}

export type BusMessage = { type: 'change'; change: LiveChange } | { type: 'stats'; sample: StatsSample };

/**
 * Changes and stats samples in the order they were published, as one async iterator ending when
 * the signal aborts: a browser tab gets both over a single connection (see live-streams.ts).
 */
export async function* changesAndStats(signal: AbortSignal | undefined): AsyncGenerator<BusMessage> {
  const queue: BusMessage[] = [];
  let wake: (() => void) | null = null;
  const push = (message: BusMessage) => {
    queue.push(message);
    wake?.();
    wake = null;
  };
  const onChange = (change: LiveChange) => push({ type: 'change', change });
  const onStats = (sample: StatsSample) => push({ type: 'stats', sample });
  const onAbort = () => wake?.();
  emitter.on('change', onChange);
  statsEmitter.on('stats', onStats);
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      const next = queue.shift();
      if (next) yield next;
      else
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
    }
  } finally {
    emitter.off('change', onChange);
    statsEmitter.off('stats', onStats);
    signal?.removeEventListener('abort', onAbort);
  }
}
