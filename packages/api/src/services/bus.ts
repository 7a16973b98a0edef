/**
 * The manager's in-process event bus: everything that changes state publishes here, and
 * subscriptions (SSE to browsers) read from it. One process, one bus; several managers would put
 * a broker behind this same interface.
 */
import { EventEmitter, on } from 'node:events';
import type { LiveChange } from '../views.ts';

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
