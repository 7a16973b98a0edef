import type { Metadata } from 'next';
import { VmListView } from '@/modules/vms/vm-list-view';

export const metadata: Metadata = { title: 'Virtual machines' };

export default function VmsPage() {
  return <VmListView />;
}
