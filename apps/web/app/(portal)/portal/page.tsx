import type { Metadata } from 'next';
import { PortalHome } from '@/modules/portal/portal-home';

export const metadata: Metadata = { title: 'My VMs' };

export default function PortalPage() {
  return <PortalHome />;
}
