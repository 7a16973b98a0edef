import type { Metadata } from 'next';
import { RequestsView } from '@/modules/quotas/requests-view';

export const metadata: Metadata = { title: 'VM requests' };

export default function RequestsPage() {
  return <RequestsView />;
}
