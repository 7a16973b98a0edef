'use client';

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { createVireoClient, TRPCProvider } from './client';
import { isClientError, isUnauthorized } from './errors';

/** An expired session anywhere sends the user to the login page (except on it: wrong password). */
function redirectIfUnauthorized(err: unknown): void {
  if (typeof window === 'undefined' || !isUnauthorized(err)) return;
  if (window.location.pathname.startsWith('/login')) return;
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(next)}`);
}

function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: redirectIfUnauthorized }),
    mutationCache: new MutationCache({ onError: redirectIfUnauthorized }),
    defaultOptions: {
      queries: {
        // Live changes arrive over SSE and patch the cache, so data stays fresh without polling.
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (failures, err) => failures < 2 && !isClientError(err),
      },
      // TanStack's default ('online') PAUSES a mutation while the browser is offline and sends it
      // when the network returns: a Delete clicked offline would run minutes later, unseen. An
      // action either goes now or fails now (the UI also refuses actions while the live
      // connection is down, see live-provider.tsx).
      mutations: { networkMode: 'always', retry: false },
    },
  });
}

export function TrpcProviders({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(createVireoClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
