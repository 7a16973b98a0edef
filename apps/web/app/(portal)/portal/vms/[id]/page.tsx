import type { Metadata } from 'next';
import { PortalVmView } from '@/modules/portal/portal-vm-view';

export const metadata: Metadata = { title: 'Virtual machine' };

export default async function PortalVmPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <PortalVmView vmId={id} />;
}
