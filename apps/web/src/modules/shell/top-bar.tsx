'use client';

import Link from 'next/link';
import type { UserView } from '@/trpc/types';
import { useFiringAlertCount } from '../alerts/alerts-view';
import { useLogout } from '../auth/use-session';
import { type LiveStatus, useLive } from '../live/live-provider';
import { BellIcon, CloseIcon, MenuIcon } from '../ui/icons';

const LIVE_LABEL: Record<LiveStatus, { text: string; dot: string }> = {
  pending: { text: 'Live', dot: 'bg-emerald-400' },
  connecting: { text: 'Connecting…', dot: 'bg-amber-400 animate-pulse' },
  error: { text: 'Live updates lost', dot: 'bg-red-400' },
  idle: { text: 'Offline', dot: 'bg-zinc-500' },
};

export const NAV_ID = 'main-nav';

export function TopBar({
  user,
  menuOpen,
  onToggleMenu,
}: {
  user: UserView | null | undefined;
  menuOpen: boolean;
  onToggleMenu: () => void;
}) {
  const logout = useLogout();
  const { status, online } = useLive();
  // The browser being offline outranks a stream that has not noticed yet.
  const live: LiveStatus = status === 'pending' && !online ? 'connecting' : status;
  const liveLabel = LIVE_LABEL[live];
  const firingAlerts = useFiringAlertCount(user?.role === 'admin');
  return (
    <header className="flex h-11 shrink-0 items-center gap-3 bg-zinc-900 px-3 text-sm text-zinc-300">
      <button
        type="button"
        data-testid="nav-toggle"
        aria-label={menuOpen ? 'Close menu' : 'Open menu'}
        aria-expanded={menuOpen}
        aria-controls={NAV_ID}
        onClick={onToggleMenu}
        className="-ml-1 flex size-8 items-center justify-center rounded-md text-zinc-200 hover:bg-zinc-800 md:hidden"
      >
        {menuOpen ? <CloseIcon /> : <MenuIcon />}
      </button>
      <Link href="/vms" className="flex items-center gap-2 text-white">
        {/* biome-ignore lint/performance/noImgElement: a static SVG from public/, no optimisation needed */}
        <img src="/vireo-logo.svg" alt="" width={22} height={22} />
        <span className="font-semibold tracking-tight">Vireo</span>
      </Link>
      <span className="hidden text-zinc-600 sm:inline">|</span>
      <span className="hidden text-zinc-400 sm:inline">Datacenter console</span>
      <div className="ml-auto flex min-w-0 items-center gap-3 sm:gap-4">
        <span
          className="flex items-center gap-1.5 text-xs text-zinc-400"
          data-testid="live-status"
          data-state={live}
          title={liveLabel.text}
        >
          <span aria-hidden className={`size-1.5 rounded-full ${liveLabel.dot}`} />
          {/* On a phone the dot alone says "live"; trouble is spelled out (and bannered). */}
          <span className={live === 'pending' ? 'sr-only sm:not-sr-only' : ''}>{liveLabel.text}</span>
        </span>
        {firingAlerts > 0 && (
          // The nav (a drawer on phones) shows it too; up here it is seen on every screen size.
          <Link
            href="/alerts"
            data-testid="topbar-alerts"
            title={`${firingAlerts} firing ${firingAlerts === 1 ? 'alert' : 'alerts'}`}
            className="flex h-7 items-center gap-1 rounded-md bg-red-600 px-2 text-xs font-semibold text-white hover:bg-red-700"
          >
            <BellIcon />
            <span className="tabular-nums">{firingAlerts}</span>
            <span className="sr-only">firing alerts</span>
          </Link>
        )}
        {user && (
          <span className="flex min-w-0 items-center gap-2" data-testid="current-user">
            <span className="truncate text-zinc-100">{user.username}</span>
            <span className="hidden rounded bg-zinc-700 px-1.5 py-px text-[11px] text-zinc-300 uppercase sm:inline">
              {user.role}
            </span>
          </span>
        )}
        <button
          type="button"
          data-testid="logout"
          onClick={() => logout.mutate()}
          disabled={logout.isPending}
          className="h-7 shrink-0 rounded-md px-2 text-zinc-300 hover:bg-zinc-800 hover:text-white"
        >
          {logout.isPending ? 'Logging out…' : 'Log out'}
        </button>
      </div>
    </header>
  );
}
