import type { Metadata } from 'next';
import { AdminOnly } from '@/modules/auth/admin-only';
import { StorageView } from '@/modules/storage/storage-view';

export const metadata: Metadata = { title: 'Storage' };

export default function StoragePage() {
  return (
    <AdminOnly title="Storage">
      <StorageView />
    </AdminOnly>
  );
}
