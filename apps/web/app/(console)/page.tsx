import type { Metadata } from 'next';
import { VmListView } from '@/modules/vms/vm-list-view';

export const metadata: Metadata = { title: 'Virtual machines' };

/** The landing page is the VM list (the same view as /vms). */
export default function HomePage() {
  return <VmListView />;
}
