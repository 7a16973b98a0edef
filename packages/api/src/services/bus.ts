/**
 * The manager's in-process event bus: everything that changes state publishes here, and
 * subscriptions (SSE to browsers) read from it. One process, one bus; several managers would put
 * a broker behind this same interface.
 */
import { EventEmitter, on } from 'node:events';
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

/** Async iterator of changes, ending when the signal aborts (the subscriber went away). */
export async function* changes(signal: AbortSignal | undefined): AsyncGenerator<LiveChange> {
  for await (const [change] of on(emitter, 'change', { signal })) {
    yield change as LiveChange;
  }
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

/** Async iterator of stats samples, ending when the signal aborts. */
export async function* statsSamples(signal: AbortSignal | undefined): AsyncGenerator<StatsSample> {
  for await (const [sample] of on(statsEmitter, 'stats', { signal })) {
    yield sample as StatsSample;
  }
}
