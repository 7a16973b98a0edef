'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';
import type { UserView } from '@/trpc/types';
import { useSession } from '../auth/use-session';
import { ErrorText } from '../ui/error-text';
import { EmptyRow, PageHeader, TableHead, td } from '../ui/page-header';
import { UserCreateForm } from './user-create-form';

const COLUMNS = ['Username', 'Role'];

export function UserListView() {
  const trpc = useTRPC();
  const users = useQuery(trpc.user.list.queryOptions());
  const { user: me } = useSession();
  const sorted = [...(users.data ?? [])].sort((a, b) => a.username.localeCompare(b.username));
  const admins = sorted.filter((u) => u.role === 'admin').length;

  return (
    <>
      <PageHeader
        title="Users"
        meta={users.data && <span>{`${sorted.length} users · ${admins} ${admins === 1 ? 'admin' : 'admins'}`}</span>}
      />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-4">
        <div className="flex flex-wrap items-start gap-4">
          <section className="min-w-80 flex-1 overflow-hidden rounded-lg border border-zinc-200 bg-white shadow-xs">
            {users.error && (
              <div className="p-3">
                <ErrorText error={users.error} />
              </div>
            )}
            <table className="w-full border-separate border-spacing-0 text-sm">
              <TableHead columns={COLUMNS} />
              <tbody>
                {sorted.map((u) => (
                  <UserRow key={u.id} user={u} isMe={u.id === me?.id} />
                ))}
                {users.isPending && <EmptyRow colSpan={COLUMNS.length}>Loading users…</EmptyRow>}
              </tbody>
            </table>
          </section>
          <UserCreateForm />
        </div>
      </div>
    </>
  );
}

function UserRow({ user, isMe }: { user: UserView; isMe: boolean }) {
  return (
    <tr data-testid="user-row" data-name={user.username} className="hover:bg-zinc-50">
      <td className={`${td} font-medium text-zinc-900`}>
        {user.username}
        {isMe && <span className="ml-2 text-xs font-normal text-zinc-500">(you)</span>}
      </td>
      <td className={`${td} w-full`}>
        <span
          className={`rounded px-1.5 py-px text-xs font-medium ring-1 ring-inset ${
            user.role === 'admin'
              ? 'bg-teal-50 text-teal-800 ring-teal-700/20'
              : 'bg-zinc-100 text-zinc-600 ring-zinc-500/20'
          }`}
        >
          {user.role}
        </span>
      </td>
    </tr>
  );
}
