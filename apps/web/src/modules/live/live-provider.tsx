'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { isUnauthorized } from '@/trpc/errors';
import { applyLiveChange, resyncAfterReconnect } from './patch-cache';
import { applyStatsBatch } from './patch-stats';

const RETRY_AFTER_ERROR_MS = 3_000;
const WATCH_DEBOUNCE_MS = 300;
/** The API's limit per stream. */
const MAX_WATCHED = 500;

export type LiveStatus = 'idle' | 'connecting' | 'pending' | 'error';

interface Live {
  status: LiveStatus;
  /** The live connection is up and the browser thinks it is online: actions may be sent. */
  online: boolean;
  /** Adds a set of VMs whose CPU % this tab wants; returns its removal. */
  watch: (vmIds: readonly string[]) => () => void;
}

const LiveContext = createContext<Live>({ status: 'idle', online: true, watch: () => () => {} });

/** Random, unguessable, and available on plain http too (crypto.randomUUID is not). */
function newStreamId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `tab-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function useNavigatorOnline(): boolean {
  const [online, setOnline] = useState(true);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    update();
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/**
 * The tab's ONE live connection (`live.onChange` over SSE) for everything pushed to it:
 * inventory changes, written into the query cache, and the CPU % of the VMs on screen. Browsers
 * allow six HTTP/1.1 connections per origin; two streams per tab stalled the fourth tab. The VMs
 * on screen (the union of every `useLiveStats` caller) go to the server by a small mutation
 * naming this tab's stream, debounced, so scrolling does not reopen the stream.
 *
 * EventSource reconnects by itself (tRPC reports `connecting` meanwhile); every (re)start
 * refetches the cached lists, since missed changes are not replayed, and re-sends the watched
 * VMs. A stream that ends in error is restarted after a pause.
 */
export function LiveProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [streamId] = useState(newStreamId);
  const startedOnce = useRef(false);
  const navigatorOnline = useNavigatorOnline();

  // The watched sets, by caller; `watchKey` is their sorted union.
  const sets = useRef(new Map<number, readonly string[]>());
  const nextToken = useRef(0);
  const [watchKey, setWatchKey] = useState('');
  const sentKey = useRef<string | null>(null);
  const recompute = useCallback(() => {
    const all = new Set<string>();
    for (const ids of sets.current.values()) for (const id of ids) all.add(id);
    setWatchKey([...all].sort().slice(0, MAX_WATCHED).join(','));
  }, []);
  const watch = useCallback(
    (vmIds: readonly string[]) => {
      const token = nextToken.current++;
      sets.current.set(token, vmIds);
      recompute();
      return () => {
        sets.current.delete(token);
        recompute();
      };
    },
    [recompute],
  );

  const watchStats = useMutation(trpc.live.watchStats.mutationOptions());
  const send = useRef(watchStats.mutate);
  send.current = watchStats.mutate;
  const sendWatched = useCallback(
    (key: string) => {
      sentKey.current = key;
      send.current({ streamId, vmIds: key ? key.split(',') : [] });
    },
    [streamId],
  );

  const subscription = useSubscription(
    trpc.live.onChange.subscriptionOptions(
      { streamId },
      {
        enabled,
        onStarted: () => {
          if (startedOnce.current) resyncAfterReconnect(queryClient, trpc);
          startedOnce.current = true;
          // The server forgets a stream's VMs some time after it drops: say them again.
          if (sentKey.current) sendWatched(sentKey.current);
        },
        onData: ({ data }) => {
          // A storm arrives as batches: the items in order, as if sent one by one.
          for (const item of data.kind === 'batch' ? data.items : [data]) {
            if (item.kind === 'stats') applyStatsBatch(queryClient, trpc, item.stats);
            else applyLiveChange(queryClient, trpc, item);
          }
        },
        onError: (err) => {
          if (isUnauthorized(err)) window.location.assign('/login');
        },
      },
    ),
  );
  const { status, reset } = subscription;

  useEffect(() => {
    if (!enabled || watchKey === (sentKey.current ?? '')) return;
    const timer = setTimeout(() => sendWatched(watchKey), WATCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [enabled, watchKey, sendWatched]);

  useEffect(() => {
    if (status !== 'error') return;
    const timer = setTimeout(reset, RETRY_AFTER_ERROR_MS);
    return () => clearTimeout(timer);
  }, [status, reset]);

  const online = status === 'pending' && navigatorOnline;
  const value = useMemo(() => ({ status, online, watch }), [status, online, watch]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLive(): Live {
  return useContext(LiveContext);
}

/** Streams the CPU % of these VMs (what is on screen) into the query cache. */
export function useLiveStats(vmIds: readonly string[]): void {
  const { watch } = useLive();
  const key = [...new Set(vmIds)].sort().join(',');
  useEffect(() => (key ? watch(key.split(',')) : undefined), [key, watch]);
}

/** Why an action cannot be sent now, or null when it can. */
export function offlineReason(live: Live): string | null {
  if (live.online) return null;
  return 'Not sent: the connection to the manager is down. Nothing will run later on its own; try again once it is back.';
}
