import type { Metadata } from 'next';
import { VmDetailView } from '@/modules/vms/vm-detail-view';

export const metadata: Metadata = { title: 'Virtual machine' };

export default async function VmPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <VmDetailView vmId={id} />;
}
