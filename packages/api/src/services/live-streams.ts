/**
 * Which VMs' stats each browser tab wants, keyed by the tab's stream id.
 *
 * A tab holds ONE live connection (`live.onChange`, SSE) for everything it is pushed: inventory
 * changes and the CPU % of the VMs on its screen. Browsers allow six HTTP/1.1 connections per
 * origin, so a second long-lived stream per tab stalled the fourth tab. The set of VMs on screen
 * changes as the user scrolls; it travels as a small mutation (`live.watchStats`) naming the
 * stream, instead of reopening the stream with new input (which would drop changes meanwhile).
 *
 * The id is chosen by the tab (random, unguessable) and bound to the user who first used it; the
 * mutation and the subscription may arrive in either order, so either creates the entry. An entry
 * without a subscriber is forgotten after a grace period (EventSource reconnects reuse the id).
 */
import { VireoError } from '@vireo/protocol';
import { onControl, publishControl } from './bus.ts';

export const MAX_WATCHED_VMS = 500;
/** Per user: more tabs than anyone opens, few enough that junk ids cannot grow memory. */
const MAX_STREAMS_PER_USER = 64;
const GRACE_MS = 60_000;

interface Stream {
  userId: string;
  vmIds: ReadonlySet<string>;
  subscribers: number;
  expiry: NodeJS.Timeout | null;
}

const streams = new Map<string, Stream>();

function countFor(userId: string): number {
  let n = 0;
  for (const s of streams.values()) if (s.userId === userId) n += 1;
  return n;
}

function streamFor(streamId: string, userId: string): Stream {
  const existing = streams.get(streamId);
  if (existing) {
    // Another user's id is reported like an unknown one: ids cannot be probed.
    if (existing.userId !== userId) throw new VireoError('NOT_FOUND', 'No such live stream.');
    return existing;
  }
  if (countFor(userId) >= MAX_STREAMS_PER_USER) {
    throw new VireoError('TOO_MANY_REQUESTS', 'Too many live streams open; close some tabs.');
  }
  const stream: Stream = { userId, vmIds: new Set(), subscribers: 0, expiry: null };
  streams.set(streamId, stream);
  expireIfIdle(streamId, stream);
  return stream;
}

function expireIfIdle(streamId: string, stream: Stream): void {
  if (stream.expiry) clearTimeout(stream.expiry);
  stream.expiry = null;
  if (stream.subscribers > 0) return;
  stream.expiry = setTimeout(() => {
    if (streams.get(streamId) === stream && stream.subscribers === 0) streams.delete(streamId);
  }, GRACE_MS);
  stream.expiry.unref();
}

/** A subscription opened on this stream; call the returned function when it ends. */
export function attachStream(
  streamId: string,
  userId: string,
): { vmIds: () => ReadonlySet<string>; detach: () => void } {
  const stream = streamFor(streamId, userId);
  stream.subscribers += 1;
  expireIfIdle(streamId, stream);
  let detached = false;
  return {
    vmIds: () => stream.vmIds,
    detach: () => {
      if (detached) return;
      detached = true;
      stream.subscribers -= 1;
      expireIfIdle(streamId, stream);
    },
  };
}

/**
 * Replaces the set of VMs whose stats this stream carries (already filtered for access). The
 * tab's stream may be served by another manager (behind one address, requests spread): the
 * other managers hear it on the bus and apply it to a stream they serve.
 */
export function setWatchedVms(streamId: string, userId: string, vmIds: ReadonlySet<string>): void {
  streamFor(streamId, userId).vmIds = vmIds;
  publishControl({ type: 'watch', streamId, userId, vmIds: [...vmIds] });
}

onControl((message) => {
  if (message.type !== 'watch') return;
  const stream = streams.get(message.streamId);
  if (stream && stream.userId === message.userId) stream.vmIds = new Set(message.vmIds);
});
