import type { Metadata } from 'next';
import { ConsoleWindowView } from '@/modules/console/console-window-view';

export const metadata: Metadata = { title: 'Serial console' };

/** The serial console alone, filling the window (opened from the serial console's "Open full window"). */
export default async function SerialWindowPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ConsoleWindowView vmId={id} kind="serial" />;
}
