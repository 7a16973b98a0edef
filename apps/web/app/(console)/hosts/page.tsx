import type { Metadata } from 'next';
import { AdminOnly } from '@/modules/auth/admin-only';
import { HostListView } from '@/modules/hosts/host-list-view';

export const metadata: Metadata = { title: 'Hosts' };

export default function HostsPage() {
  return (
    <AdminOnly orInfraRole title="Hosts">
      <HostListView />
    </AdminOnly>
  );
}
