'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { useSession } from '../auth/use-session';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { formatAgo, formatDateTime } from '../ui/format';
import { EmptyRow, PageHeader, stacked, td as tdBase, th } from '../ui/page-header';
import { PlusIcon } from '../ui/icons';
import { useNow } from '../ui/use-now';
import { ApiTokenCreate } from './api-token-create';

type Token = RouterOutputs['apiToken']['list'][number];

/** Cells become "label  value" lines on phones (stacked), so status and Revoke stay in view. */
const td = `${tdBase} ${stacked.td}`;

const STATUS_CLASS: Record<Token['status'], string> = {
  active: 'bg-emerald-50 text-emerald-800 ring-emerald-700/20',
  expired: 'bg-zinc-100 text-zinc-600 ring-zinc-500/20',
  revoked: 'bg-red-50 text-red-800 ring-red-700/20',
};

/**
 * The signed-in user's API tokens (an admin may switch to everyone's): create (shown once),
 * list, revoke with a confirmation.
 */
export function ApiTokensView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { user } = useSession();
  const isAdmin = user?.role === 'admin';
  const [all, setAll] = useState(false);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const now = useNow(30_000);
  const tokens = useQuery(trpc.apiToken.list.queryOptions({ all: isAdmin && all }));
  const revoke = useMutation(
    trpc.apiToken.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiToken.list.queryKey() }),
    }),
  );
  const columns = [
    'Name',
    ...(all ? ['User'] : []),
    'Prefix',
    'Scope',
    'Created',
    'Last used',
    'Expires',
    'Status',
    '',
  ];
  const active = tokens.data?.filter((t) => t.status === 'active').length ?? 0;

  return (
    <>
      <PageHeader
        title="API tokens"
        meta={tokens.data && <span>{`${active} active`}</span>}
        actions={
          <>
            {isAdmin && (
              <label className="flex items-center gap-1.5 text-sm text-zinc-700">
                <input
                  type="checkbox"
                  data-testid="api-token-all"
                  checked={all}
                  onChange={(e) => setAll(e.target.checked)}
                />
                All users
              </label>
            )}
            <button type="button" data-testid="api-token-new" className={btn.primary} onClick={() => setCreating(true)}>
              <PlusIcon />
              New token
            </button>
          </>
        }
      />
      <div className="min-h-0 flex-1 space-y-3 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <p className="max-w-3xl text-sm text-zinc-600">
          Scripts use a token as{' '}
          <code className="rounded bg-zinc-100 px-1 font-mono text-xs">Authorization: Bearer</code> against the same API
          the console uses. A token acts as you; it cannot create tokens or manage users.
        </p>
        <ErrorText error={tokens.error ?? revoke.error} />
        <section className="overflow-x-auto rounded-lg border border-zinc-200 bg-white shadow-xs">
          <table
            className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}
            data-testid="api-token-table"
          >
            <thead className={stacked.thead}>
              <tr>
                {columns.map((c) => (
                  <th key={c || 'actions'} className={th}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className={stacked.tbody}>
              {tokens.data?.map((t) => (
                <tr
                  key={t.id}
                  data-testid="api-token-row"
                  data-name={t.name}
                  data-status={t.status}
                  className={`hover:bg-zinc-50 ${stacked.tr}`}
                >
                  <td data-label="Name" className={`${td} font-medium text-zinc-900`}>
                    {t.name}
                  </td>
                  {all && (
                    <td data-label="User" className={td}>
                      {t.username}
                    </td>
                  )}
                  <td data-label="Prefix" className={`${td} font-mono text-xs text-zinc-600`}>
                    {t.prefix}…
                  </td>
                  <td data-label="Scope" className={td}>
                    {t.scope}
                  </td>
                  <td data-label="Created" className={`${td} tabular-nums text-zinc-600`}>
                    {formatDateTime(t.createdAt)}
                  </td>
                  <td data-label="Last used" className={`${td} tabular-nums text-zinc-600`}>
                    {formatAgo(t.lastUsedAt, now)}
                  </td>
                  <td data-label="Expires" className={`${td} tabular-nums text-zinc-600`}>
                    {formatDateTime(t.expiresAt)}
                  </td>
                  <td data-label="Status" className={td}>
                    <span
                      className={`rounded px-1.5 py-px text-xs font-medium ring-1 ring-inset ${STATUS_CLASS[t.status]}`}
                    >
                      {t.status}
                    </span>
                  </td>
                  <td
                    className={`${tdBase} w-full text-right max-sm:block max-sm:border-0 max-sm:px-0 max-sm:pt-1 max-sm:text-left`}
                  >
                    {t.status !== 'revoked' && (
                      <button
                        type="button"
                        data-testid="api-token-revoke"
                        aria-label={`Revoke ${t.name}`}
                        className={btn.danger}
                        onClick={() => setRevoking(t)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
              {tokens.isPending && <EmptyRow colSpan={columns.length}>Loading tokens…</EmptyRow>}
              {tokens.data?.length === 0 && <EmptyRow colSpan={columns.length}>No API tokens yet.</EmptyRow>}
            </tbody>
          </table>
        </section>
      </div>
      {creating && <ApiTokenCreate onClose={() => setCreating(false)} />}
      {revoking && (
        <ConfirmDialog
          title="Revoke API token"
          confirmLabel="Revoke"
          testId="api-token-revoke-dialog"
          onCancel={() => setRevoking(null)}
          onConfirm={() => {
            revoke.mutate({ tokenId: revoking.id });
            setRevoking(null);
          }}
        >
          <p className="text-sm text-zinc-700">
            Scripts using “<span className="font-medium">{revoking.name}</span>” ({revoking.prefix}…) stop working at
            once. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
