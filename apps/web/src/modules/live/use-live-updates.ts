'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useRef } from 'react';
import { useTRPC } from '@/trpc/client';
import { isUnauthorized } from '@/trpc/errors';
import { applyLiveChange, resyncAfterReconnect } from './patch-cache';

const RETRY_AFTER_ERROR_MS = 3_000;

export type LiveStatus = 'idle' | 'connecting' | 'pending' | 'error';

/**
 * The one subscription to `live.onChange` for the whole app shell. EventSource reconnects on
 * network loss by itself (tRPC reports `connecting` meanwhile); a reconnect triggers a resync of
 * the cached lists, since the server does not replay what was missed. If the subscription ends
 * with an error (e.g. the manager restarted mid-stream), it is restarted after a pause.
 */
export function useLiveUpdates(enabled: boolean): LiveStatus {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const startedOnce = useRef(false);

  const subscription = useSubscription(
    trpc.live.onChange.subscriptionOptions(undefined, {
      enabled,
      onStarted: () => {
        if (startedOnce.current) resyncAfterReconnect(queryClient, trpc);
        startedOnce.current = true;
      },
      onData: (envelope) => applyLiveChange(queryClient, trpc, envelope.data),
      onError: (err) => {
        if (isUnauthorized(err)) window.location.assign('/login');
      },
    }),
  );

  const { status, reset } = subscription;
  useEffect(() => {
    if (status !== 'error') return;
    const timer = setTimeout(reset, RETRY_AFTER_ERROR_MS);
    return () => clearTimeout(timer);
  }, [status, reset]);

  return status;
}
