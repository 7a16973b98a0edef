'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { RolesPanel } from '../permissions/roles-panel';
import { useSession } from '../auth/use-session';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { EmptyRow, PageHeader, td, th } from '../ui/page-header';
import { UserActions, type UserRow } from './user-actions';
import { UserCreateForm } from './user-create-form';

/**
 * Narrow tables (a phone, or a phone-wide content area) drop columns rather than scroll sideways:
 * role and status move under the username, the counts are repeated in the actions panel.
 */
const COLUMNS = [
  { label: 'Username', className: '' },
  { label: 'Role', className: 'hidden @md:table-cell' },
  { label: 'Status', className: 'hidden @md:table-cell' },
  { label: 'VMs', className: 'hidden @xl:table-cell text-right' },
  { label: 'Sessions', className: 'hidden @xl:table-cell text-right' },
  { label: 'Actions', className: 'w-full text-right' },
];

export function UserListView() {
  const trpc = useTRPC();
  const users = useQuery(trpc.user.list.queryOptions());
  const { user: me } = useSession();
  const [open, setOpen] = useState<string | null>(null);
  const selected = users.data?.find((u) => u.id === open);
  // Closing the panel returns focus to the row's Manage button.
  const close = (id: string) => {
    setOpen(null);
    document.querySelector<HTMLButtonElement>(`[data-testid="user-manage"][data-user="${id}"]`)?.focus();
  };
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
          <div className="min-w-0 flex-1 basis-96 space-y-4">
            <section className="@container overflow-x-auto rounded-lg border border-zinc-200 bg-white shadow-xs">
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
                    <UserTableRow
                      key={u.id}
                      user={u}
                      isMe={u.id === me?.id}
                      expanded={open === u.id}
                      onToggle={() => setOpen(open === u.id ? null : u.id)}
                    />
                  ))}
                  {users.isPending && <EmptyRow colSpan={COLUMNS.length}>Loading users…</EmptyRow>}
                </tbody>
              </table>
            </section>
            {selected && (
              <ManagePanel
                key={selected.id}
                user={selected}
                me={me?.id}
                users={sorted}
                onClose={() => close(selected.id)}
              />
            )}
            {/* Roles across the whole system without being an administrator: an operator of every
                host, an auditor who sees everything (viewer). */}
            <RolesPanel scopeKind="system" scopeId="" scopeName="" />
          </div>
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
      {/* Wraps only when the table is narrow, so Manage never pushes the name out of view. The inner
          minimum width keeps the Actions column (w-full) from squeezing a name to a few letters a
          line, as break-all alone would let it (a table cell's own min-width is not reliable). */}
      <td className="border-b border-zinc-100 px-3 py-1.5 font-medium text-zinc-900 @md:whitespace-nowrap">
        <div className="min-w-32 @md:min-w-0">
          <span className="break-all @md:break-normal">{user.username}</span>
          {isMe && <span className="ml-2 text-xs font-normal whitespace-nowrap text-zinc-500">(you)</span>}
          <div className="text-xs font-normal text-zinc-500 @md:hidden">
            {user.role}
            {user.disabled ? ' · disabled' : ''}
          </div>
        </div>
      </td>
      <td className={`${td} hidden @md:table-cell`}>
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
      <td className={`${td} hidden @md:table-cell`} data-testid="user-status">
        {user.disabled ? (
          <span className="rounded bg-red-50 px-1.5 py-px text-xs font-medium text-red-800 ring-1 ring-red-700/20 ring-inset">
            disabled
          </span>
        ) : (
          <span className="text-xs text-zinc-600">enabled</span>
        )}
      </td>
      <td className={`${td} hidden text-right tabular-nums @xl:table-cell`}>{user.vmCount}</td>
      <td className={`${td} hidden text-right tabular-nums @xl:table-cell`}>{user.sessionCount}</td>
      <td className={`${td} text-right`}>
        <button
          type="button"
          data-testid="user-manage"
          className={btn.secondary}
          aria-expanded={expanded}
          aria-controls={expanded ? 'user-manage-panel' : undefined}
          data-user={user.id}
          aria-label={`Manage ${user.username}`}
          onClick={onToggle}
        >
          {expanded ? 'Close' : 'Manage'}
        </button>
      </td>
    </tr>
  );
}

/**
 * The actions for one user, below the table rather than inside it, so it takes the page's width
 * (a table row would be as wide as the table, wider than a phone). Focus moves here on open.
 */
function ManagePanel({
  user,
  me,
  users,
  onClose,
}: {
  user: UserRow;
  me: string | undefined;
  users: UserRow[];
  onClose: () => void;
}) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <section
      id="user-manage-panel"
      aria-labelledby="user-manage-heading"
      className="overflow-hidden rounded-lg border border-zinc-200 bg-white shadow-xs"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <div className="flex items-center gap-2 border-b border-zinc-200 px-3 py-2">
        <h2
          id="user-manage-heading"
          ref={headingRef}
          tabIndex={-1}
          className="min-w-0 flex-1 text-sm font-semibold break-all text-zinc-900 outline-none"
        >
          {`Manage “${user.username}”`}
        </h2>
        <button type="button" data-testid="user-manage-close" className={btn.ghost} onClick={onClose}>
          Close
        </button>
      </div>
      <UserActions user={user} me={me} users={users} />
    </section>
  );
}
