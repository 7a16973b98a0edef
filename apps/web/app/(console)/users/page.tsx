import type { Metadata } from 'next';
import { AdminOnly } from '@/modules/auth/admin-only';
import { UserListView } from '@/modules/users/user-list-view';

export const metadata: Metadata = { title: 'Users' };

export default function UsersPage() {
  return (
    <AdminOnly title="Users">
      <UserListView />
    </AdminOnly>
  );
}
