import type { Metadata } from 'next';
import { PortalCreateView } from '@/modules/portal/portal-create-view';

export const metadata: Metadata = { title: 'New VM' };

export default function PortalNewPage() {
  return <PortalCreateView />;
}
