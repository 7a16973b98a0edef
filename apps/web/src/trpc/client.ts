/**
 * The browser's tRPC client. Queries and mutations go over batched HTTP; subscriptions over SSE
 * (EventSource reconnects by itself). No transformer: outputs are plain JSON. The endpoint is
 * served by the custom server (apps/web/server.ts) on the same origin, so the session cookie
 * travels with every request.
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '@vireo/api';

export const TRPC_URL = '/api/trpc';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function createVireoClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: TRPC_URL }),
        false: httpBatchLink({ url: TRPC_URL }),
      }),
    ],
  });
}

export type VireoClient = ReturnType<typeof createVireoClient>;
