import type { Metadata } from 'next';
import { AdminOnly } from '@/modules/auth/admin-only';
import { HostDetailView } from '@/modules/hosts/host-detail-view';

export const metadata: Metadata = { title: 'Host' };

export default async function HostPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <AdminOnly orInfraRole title="Host">
      <HostDetailView hostId={id} />
    </AdminOnly>
  );
}
