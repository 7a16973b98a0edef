'use client';

import Link from 'next/link';
import type { UserView } from '@/trpc/types';
import type { LiveStatus } from '../live/use-live-updates';
import { useLogout } from '../auth/use-session';

const LIVE_LABEL: Record<LiveStatus, { text: string; dot: string }> = {
  pending: { text: 'Live', dot: 'bg-emerald-400' },
  connecting: { text: 'Reconnecting…', dot: 'bg-amber-400 animate-pulse' },
  error: { text: 'Live updates lost', dot: 'bg-red-400' },
  idle: { text: 'Offline', dot: 'bg-zinc-500' },
};

export function TopBar({ user, live }: { user: UserView | null | undefined; live: LiveStatus }) {
  const logout = useLogout();
  const liveLabel = LIVE_LABEL[live];
  return (
    <header className="flex h-11 shrink-0 items-center gap-3 bg-zinc-900 px-3 text-sm text-zinc-300">
      <Link href="/vms" className="flex items-center gap-2 text-white">
        {/* biome-ignore lint/performance/noImgElement: a static SVG from public/, no optimisation needed */}
        <img src="/vireo-logo.svg" alt="" width={22} height={22} />
        <span className="font-semibold tracking-tight">Vireo</span>
      </Link>
      <span className="text-zinc-600">|</span>
      <span className="text-zinc-400">Datacenter console</span>
      <div className="ml-auto flex items-center gap-4">
        <span className="flex items-center gap-1.5 text-xs text-zinc-400" data-testid="live-status" data-state={live}>
          <span className={`size-1.5 rounded-full ${liveLabel.dot}`} />
          {liveLabel.text}
        </span>
        {user && (
          <span className="flex items-center gap-2" data-testid="current-user">
            <span className="text-zinc-100">{user.username}</span>
            <span className="rounded bg-zinc-700 px-1.5 py-px text-[11px] text-zinc-300 uppercase">{user.role}</span>
          </span>
        )}
        <button
          type="button"
          data-testid="logout"
          onClick={() => logout.mutate()}
          disabled={logout.isPending}
          className="h-7 rounded-md px-2 text-zinc-300 hover:bg-zinc-800 hover:text-white"
        >
          Log out
        </button>
      </div>
    </header>
  );
}
