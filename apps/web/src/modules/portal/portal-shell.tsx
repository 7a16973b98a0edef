'use client';

import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, useEffect } from 'react';
import { useLogout, useSession } from '../auth/use-session';
import { LiveProvider, useLive } from '../live/live-provider';
import { LiveBanner } from '../shell/live-banner';

const LINKS = [
  {
    href: '/portal',
    label: 'My VMs',
    testId: 'portal-nav-vms',
    matches: (p: string) => p === '/portal' || p.startsWith('/portal/vms'),
  },
  { href: '/portal/new', label: 'New VM', testId: 'portal-nav-new', matches: (p: string) => p === '/portal/new' },
  {
    href: '/portal/requests',
    label: 'Requests',
    testId: 'portal-nav-requests',
    matches: (p: string) => p === '/portal/requests',
  },
];

/**
 * The self-service portal's frame (issue 10): a top bar with the member's few places, no
 * infrastructure. Administrators get a link back to the datacenter console.
 */
export function PortalShell({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const router = useRouter();
  useEffect(() => {
    if (user === null) router.replace(`/login?next=${encodeURIComponent(window.location.pathname)}`);
  }, [user, router]);
  return (
    <LiveProvider enabled={Boolean(user)}>
      <div className="flex h-dvh flex-col bg-zinc-50">
        <PortalTopBar />
        <LiveBanner />
        <main className="min-h-0 flex-1 overflow-auto">{children}</main>
      </div>
    </LiveProvider>
  );
}

function PortalTopBar() {
  const { user } = useSession();
  const logout = useLogout();
  const pathname = usePathname();
  const { status } = useLive();
  return (
    <header className="flex h-12 shrink-0 items-center gap-2 border-b border-zinc-200 bg-white px-4 text-sm">
      <Link href="/portal" className="flex shrink-0 items-center gap-2 text-zinc-900">
        {/* biome-ignore lint/performance/noImgElement: a static SVG from public/ */}
        <img src="/vireo-logo.svg" alt="" width={22} height={22} />
        <span className="hidden font-semibold tracking-tight sm:inline">Vireo</span>
        <span className="hidden text-zinc-500 sm:inline">Self-service</span>
      </Link>
      <nav aria-label="Portal" className="flex items-center gap-0.5 sm:ml-2 sm:gap-1">
        {LINKS.map((l) => {
          const current = l.matches(pathname);
          return (
            <Link
              key={l.href}
              href={l.href}
              data-testid={l.testId}
              aria-current={current ? 'page' : undefined}
              className={`rounded-md px-2 py-1.5 font-medium whitespace-nowrap sm:px-2.5 ${current ? 'bg-teal-50 text-teal-800' : 'text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900'}`}
            >
              {l.label}
            </Link>
          );
        })}
      </nav>
      <div className="ml-auto flex min-w-0 items-center gap-3">
        <span
          className={`size-2 rounded-full ${status === 'pending' ? 'bg-emerald-500' : status === 'error' ? 'bg-red-500' : 'bg-amber-400'}`}
          title={status === 'pending' ? 'Live' : 'Live updates interrupted'}
          data-testid="live-status"
          data-state={status}
        />
        {user?.role === 'admin' && (
          <Link href="/vms" className="text-zinc-600 hover:text-zinc-900" data-testid="portal-admin-console">
            Admin console
          </Link>
        )}
        <Link href="/account" className="hidden text-zinc-600 hover:text-zinc-900 sm:inline">
          API tokens
        </Link>
        <Link href="/security" className="hidden text-zinc-600 hover:text-zinc-900 sm:inline">
          Two-factor
        </Link>
        {user && (
          <span className="hidden truncate font-medium text-zinc-800 sm:inline" data-testid="current-user">
            {user.username}
          </span>
        )}
        <button
          type="button"
          data-testid="logout"
          onClick={() => logout.mutate()}
          disabled={logout.isPending}
          className="h-7 shrink-0 rounded-md px-2 text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900"
        >
          {logout.isPending ? 'Logging out…' : 'Log out'}
        </button>
      </div>
    </header>
  );
}
