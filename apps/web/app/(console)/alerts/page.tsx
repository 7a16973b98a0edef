import type { Metadata } from 'next';
import { AlertsView } from '@/modules/alerts/alerts-view';
import { AdminOnly } from '@/modules/auth/admin-only';

export const metadata: Metadata = { title: 'Alerts' };

export default function AlertsPage() {
  return (
    <AdminOnly title="Alerts">
      <AlertsView />
    </AdminOnly>
  );
}
