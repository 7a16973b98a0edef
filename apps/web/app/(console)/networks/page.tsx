import type { Metadata } from 'next';
import { AdminOnly } from '@/modules/auth/admin-only';
import { NetworksView } from '@/modules/networks/networks-view';

export const metadata: Metadata = { title: 'Networks' };

export default function NetworksPage() {
  return (
    <AdminOnly title="Networks">
      <NetworksView />
    </AdminOnly>
  );
}
