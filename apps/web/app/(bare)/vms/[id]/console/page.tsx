import type { Metadata } from 'next';
import { ConsoleWindowView } from '@/modules/console/console-window-view';

export const metadata: Metadata = { title: 'Console' };

/** The console alone, filling the window (opened from the VM page's "Open full window"). */
export default async function ConsoleWindowPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ConsoleWindowView vmId={id} />;
}
