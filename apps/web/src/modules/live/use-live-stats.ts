'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { applyStatsBatch } from './patch-stats';

const DEBOUNCE_MS = 300;
const RETRY_AFTER_ERROR_MS = 3_000;
/** The API's limit per subscription. */
const MAX_IDS = 500;

/** A stable key for a set of ids: sorted, deduplicated, capped. */
function keyOf(vmIds: readonly string[]): string {
  return [...new Set(vmIds)].sort().slice(0, MAX_IDS).join(',');
}

/**
 * Streams the CPU % of the given VMs (what is on screen) into the query cache. The set is
 * debounced, so scrolling a long list re-subscribes once it settles rather than per row.
 */
export function useLiveStats(vmIds: readonly string[]): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const key = keyOf(vmIds);
  const [settledKey, setSettledKey] = useState(key);

  useEffect(() => {
    const timer = setTimeout(() => setSettledKey(key), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [key]);

  const ids = settledKey ? settledKey.split(',') : [];
  const { status, reset } = useSubscription(
    trpc.live.onStats.subscriptionOptions(
      { vmIds: ids },
      {
        enabled: ids.length > 0,
        onData: (batch) => applyStatsBatch(queryClient, trpc, batch),
      },
    ),
  );

  useEffect(() => {
    if (status !== 'error') return;
    const timer = setTimeout(reset, RETRY_AFTER_ERROR_MS);
    return () => clearTimeout(timer);
  }, [status, reset]);
}
