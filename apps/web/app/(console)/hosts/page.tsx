import type { Metadata } from 'next';
import { HostListView } from '@/modules/hosts/host-list-view';

export const metadata: Metadata = { title: 'Hosts' };

export default function HostsPage() {
  return <HostListView />;
}
