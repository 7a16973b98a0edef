import type { Metadata } from 'next';
import { SharedConsoleView } from '@/modules/console/shared-console-view';

export const metadata: Metadata = { title: 'Shared console', referrer: 'no-referrer' };

/** A view-only console opened from a share link; no account. The token is in the URL's fragment. */
export default function SharedConsolePage() {
  return <SharedConsoleView />;
}
