import type { Metadata } from 'next';
import { AffinityView } from '@/modules/affinity/affinity-view';
import { AdminOnly } from '@/modules/auth/admin-only';

export const metadata: Metadata = { title: 'Affinity' };

export default function AffinityPage() {
  return (
    <AdminOnly title="Affinity">
      <AffinityView />
    </AdminOnly>
  );
}
