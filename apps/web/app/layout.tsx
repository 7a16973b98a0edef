import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { TrpcProviders } from '@/trpc/provider';
import './globals.css';

/**
 * Every page renders per request so that Next can put the request's CSP nonce on its inline
 * scripts (see packages/api/src/edge/security-headers.ts); a prerendered page has none.
 */
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: { default: 'Vireo', template: '%s · Vireo' },
  description: 'Vireo virtualization console',
  icons: { icon: '/favicon.svg' },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TrpcProviders>{children}</TrpcProviders>
      </body>
    </html>
  );
}
