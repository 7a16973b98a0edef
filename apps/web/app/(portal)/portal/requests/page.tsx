import type { Metadata } from 'next';
import { RequestsView } from '@/modules/quotas/requests-view';

export const metadata: Metadata = { title: 'VM requests' };

/** The member's requests (and, for a project's owners, the approval queue), inside the portal. */
export default function PortalRequestsPage() {
  return <RequestsView />;
}
