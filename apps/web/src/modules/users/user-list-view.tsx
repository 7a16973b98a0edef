'use client';

import { useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { EmptyRow, PageHeader, td, th } from '../ui/page-header';
import { UserActions, type UserRow } from './user-actions';
import { UserCreateForm } from './user-create-form';

/** Columns hidden at phone width carry nothing the actions panel does not repeat. */
const COLUMNS = [
  { label: 'Username', className: '' },
  { label: 'Role', className: '' },
  { label: 'Status', className: '' },
  { label: 'VMs', className: 'hidden sm:table-cell text-right' },
  { label: 'Sessions', className: 'hidden sm:table-cell text-right' },
  { label: 'Actions', className: 'w-full text-right' },
];

export function UserListView() {
  const trpc = useTRPC();
  const users = useQuery(trpc.user.list.queryOptions());
  const { user: me } = useSession();
  const [open, setOpen] = useState<string | null>(null);
  const sorted = [...(users.data ?? [])].sort((a, b) => a.username.localeCompare(b.username));
  const admins = sorted.filter((u) => u.role === 'admin').length;

  return (
    <>
      <PageHeader
        title="Users"
        meta={users.data && <span>{`${sorted.length} users · ${admins} ${admins === 1 ? 'admin' : 'admins'}`}</span>}
      />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <div className="flex flex-wrap items-start gap-4">
          <section className="min-w-0 flex-1 basis-96 overflow-x-auto rounded-lg border border-zinc-200 bg-white shadow-xs">
            {users.error && (
              <div className="p-3">
                <ErrorText error={users.error} />
              </div>
            )}
            <table className="w-full border-separate border-spacing-0 text-sm">
              <thead>
                <tr>
                  {COLUMNS.map((c) => (
                    <th key={c.label} className={`${th} ${c.className}`}>
                      {c.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {sorted.map((u) => (
                  <Fragment key={u.id}>
                    <UserTableRow
                      user={u}
                      isMe={u.id === me?.id}
                      expanded={open === u.id}
                      onToggle={() => setOpen(open === u.id ? null : u.id)}
                    />
                    {open === u.id && (
                      <tr>
                        <td
                          id={`user-actions-${u.id}`}
                          colSpan={COLUMNS.length}
                          className="border-b border-zinc-200 p-0"
                        >
                          <UserActions user={u} me={me?.id} users={sorted} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
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

function UserTableRow({
  user,
  isMe,
  expanded,
  onToggle,
}: {
  user: UserRow;
  isMe: boolean;
  expanded: boolean;
  onToggle: () => void;
}) {
  return (
    <tr data-testid="user-row" data-name={user.username} className={expanded ? 'bg-zinc-50' : 'hover:bg-zinc-50'}>
      <td className={`${td} font-medium text-zinc-900`}>
        {user.username}
        {isMe && <span className="ml-2 text-xs font-normal text-zinc-500">(you)</span>}
      </td>
      <td className={td}>
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
      <td className={td} data-testid="user-status">
        {user.disabled ? (
          <span className="rounded bg-red-50 px-1.5 py-px text-xs font-medium text-red-800 ring-1 ring-red-700/20 ring-inset">
            disabled
          </span>
        ) : (
          <span className="text-xs text-zinc-600">enabled</span>
        )}
      </td>
      <td className={`${td} hidden text-right tabular-nums sm:table-cell`}>{user.vmCount}</td>
      <td className={`${td} hidden text-right tabular-nums sm:table-cell`}>{user.sessionCount}</td>
      <td className={`${td} text-right`}>
        <button
          type="button"
          data-testid="user-manage"
          className={btn.secondary}
          aria-expanded={expanded}
          aria-controls={expanded ? `user-actions-${user.id}` : undefined}
          aria-label={`Manage ${user.username}`}
          onClick={onToggle}
        >
          {expanded ? 'Close' : 'Manage'}
        </button>
      </td>
    </tr>
  );
}
