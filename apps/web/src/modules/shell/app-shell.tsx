'use client';

import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, useEffect, useState } from 'react';
import { useSession } from '../auth/use-session';
import { LiveProvider } from '../live/live-provider';
import { LiveBanner } from './live-banner';
import { Nav } from './nav';
import { TopBar } from './top-bar';

/**
 * The console frame: top bar, left nav (a drawer behind a menu button on narrow screens), the
 * live-connection banner and the page. Also owns the tab's one live connection.
 */
export function AppShell({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const router = useRouter();
  const pathname = usePathname();
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    if (user === null) router.replace(`/login?next=${encodeURIComponent(window.location.pathname)}`);
  }, [user, router]);

  // A navigation closes the drawer.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each new path on purpose
  useEffect(() => setMenuOpen(false), [pathname]);

  return (
    <LiveProvider enabled={Boolean(user)}>
      <div className="flex h-dvh flex-col">
        <TopBar user={user} menuOpen={menuOpen} onToggleMenu={() => setMenuOpen((open) => !open)} />
        <LiveBanner />
        <div className="relative flex min-h-0 flex-1">
          <Nav open={menuOpen} onClose={() => setMenuOpen(false)} />
          <main className="flex min-w-0 flex-1 flex-col overflow-hidden bg-white">{children}</main>
        </div>
      </div>
    </LiveProvider>
  );
}
