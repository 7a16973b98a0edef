import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { TrpcProviders } from '@/trpc/provider';
import './globals.css';

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
