'use client';

import { useEffect, useState } from 'react';
import { useLive } from '../live/live-provider';

/** Connecting at page load is normal; say nothing unless it lasts longer than this. */
const GRACE_MS = 1_500;

/**
 * Says plainly when the live connection is down: what is shown may be stale, and actions are not
 * sent (they fail at once rather than run later; see offlineReason).
 */
export function LiveBanner() {
  const { online, status } = useLive();
  const [shown, setShown] = useState(false);

  useEffect(() => {
    if (online) {
      setShown(false);
      return;
    }
    const timer = setTimeout(() => setShown(true), GRACE_MS);
    return () => clearTimeout(timer);
  }, [online]);

  if (!shown || online) return null;
  return (
    <output
      data-testid="live-banner"
      className="flex shrink-0 items-center gap-2 border-b border-amber-300 bg-amber-50 px-4 py-1.5 text-sm text-amber-900"
    >
      <span
        aria-hidden
        className="size-2 shrink-0 animate-pulse rounded-full bg-amber-500 motion-reduce:animate-none"
      />
      <span>
        <span className="font-medium">Offline: {status === 'error' ? 'live updates stopped' : 'reconnecting…'}</span>{' '}
        What you see may be out of date, and actions are not sent until the connection is back.
      </span>
    </output>
  );
}
