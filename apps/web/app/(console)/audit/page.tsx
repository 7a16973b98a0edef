import type { Metadata } from 'next';
import { AuditView } from '@/modules/audit/audit-view';
import { AdminOnly } from '@/modules/auth/admin-only';

export const metadata: Metadata = { title: 'Audit log' };

export default function AuditPage() {
  return (
    <AdminOnly title="Audit log">
      <AuditView />
    </AdminOnly>
  );
}
