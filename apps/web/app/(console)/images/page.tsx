import type { Metadata } from 'next';
import { AdminOnly } from '@/modules/auth/admin-only';
import { ImagesView } from '@/modules/images/images-view';

export const metadata: Metadata = { title: 'Images' };

export default function ImagesPage() {
  return (
    <AdminOnly title="Images">
      <ImagesView />
    </AdminOnly>
  );
}
