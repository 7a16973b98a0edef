'use client';

import { useRouter } from 'next/navigation';
import { type ReactNode, useEffect } from 'react';
import { useSession } from '../auth/use-session';
import { useLiveUpdates } from '../live/use-live-updates';
import { Nav } from './nav';
import { TopBar } from './top-bar';

/** The console frame: top bar, left nav, and the page. Also owns the live-update subscription. */
export function AppShell({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const router = useRouter();
  const live = useLiveUpdates(Boolean(user));

  useEffect(() => {
    if (user === null) router.replace(`/login?next=${encodeURIComponent(window.location.pathname)}`);
  }, [user, router]);

  return (
    <div className="flex h-dvh flex-col">
      <TopBar user={user} live={live} />
      <div className="flex min-h-0 flex-1">
        <Nav />
        <main className="flex min-w-0 flex-1 flex-col overflow-hidden bg-white">{children}</main>
      </div>
    </div>
  );
}
