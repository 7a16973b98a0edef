'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputBase } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { CopyField } from '../ui/copy-field';
import { ErrorText } from '../ui/error-text';
import { formatAgo, formatDateTime } from '../ui/format';
import { th, td } from '../ui/page-header';
import { useNow } from '../ui/use-now';

type Link = RouterOutputs['consoleShare']['list'][number];

const EXPIRY_CHOICES = [
  { minutes: 15, label: '15 minutes' },
  { minutes: 60, label: '1 hour' },
  { minutes: 8 * 60, label: '8 hours' },
  { minutes: 24 * 60, label: '1 day' },
  { minutes: 7 * 24 * 60, label: '7 days' },
];

const STATUS_CLASS: Record<Link['status'], string> = {
  active: 'bg-emerald-50 text-emerald-800 ring-emerald-700/20',
  expired: 'bg-zinc-100 text-zinc-600 ring-zinc-500/20',
  revoked: 'bg-red-50 text-red-800 ring-red-700/20',
};

const selectClass = `${inputBase.replace('w-full ', '')} h-7 py-0 pr-7 text-sm`;

/**
 * View-only share links of the VM's screen: made here (the link is shown once), listed with who
 * made them, expiry and last use, revoked with a confirmation (open views close within seconds).
 */
export function ConsoleShareLinks({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const now = useNow(30_000);
  const [minutes, setMinutes] = useState(60);
  const [shown, setShown] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Link | null>(null);
  const links = useQuery(trpc.consoleShare.list.queryOptions({ vmId }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.consoleShare.list.queryKey({ vmId }) });
  const create = useMutation(
    trpc.consoleShare.create.mutationOptions({
      onSuccess: (made) => {
        setShown(`${window.location.origin}${made.pagePath}`);
        void refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.consoleShare.revoke.mutationOptions({ onSuccess: () => void refresh() }));
  const rows = links.data ?? [];
  // Only those who may operate the VM manage its links; for anyone else the section is not there.
  if (links.error) return null;

  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="console-share">
      <div className="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-3 py-2">
        <h3 className="text-sm font-semibold text-zinc-900">View-only share links</h3>
        <span className="text-xs text-zinc-500">Anyone with the link sees the screen; keys and mouse are ignored.</span>
        <div className="ml-auto flex items-center gap-1.5">
          <label className="text-xs text-zinc-600" htmlFor={`share-expiry-${vmId}`}>
            Expires in
          </label>
          <select
            id={`share-expiry-${vmId}`}
            data-testid="console-share-expiry"
            className={selectClass}
            value={minutes}
            onChange={(e) => setMinutes(Number(e.target.value))}
          >
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.minutes} value={c.minutes}>
                {c.label}
              </option>
            ))}
          </select>
          <button
            type="button"
            data-testid="console-share-create"
            className={btn.secondary}
            disabled={create.isPending}
            onClick={() => create.mutate({ vmId, expiresInMinutes: minutes })}
          >
            Create link
          </button>
        </div>
      </div>
      {shown && (
        <div className="space-y-1.5 border-b border-zinc-200 bg-amber-50/60 px-3 py-2" data-testid="console-share-new">
          <p className="text-xs text-zinc-700">Copy the link now: it is shown only once.</p>
          <CopyField value={shown} testId="console-share-url" />
          <button type="button" className={btn.secondary} onClick={() => setShown(null)}>
            Done
          </button>
        </div>
      )}
      <ErrorText error={create.error ?? revoke.error} />
      {rows.length > 0 ? (
        <table className="w-full border-separate border-spacing-0 text-sm" data-testid="console-share-table">
          <thead>
            <tr>
              {['Made by', 'Created', 'Expires', 'Last used', 'Status', ''].map((c) => (
                <th key={c || 'actions'} className={th}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((l) => (
              <tr key={l.id} data-testid="console-share-row" data-status={l.status} className="hover:bg-zinc-50">
                <td className={`${td} font-medium text-zinc-900`}>{l.createdByName}</td>
                <td className={`${td} tabular-nums text-zinc-600`}>{formatDateTime(l.createdAt)}</td>
                <td className={`${td} tabular-nums text-zinc-600`}>{formatDateTime(l.expiresAt)}</td>
                <td className={`${td} tabular-nums text-zinc-600`}>{formatAgo(l.lastUsedAt, now)}</td>
                <td className={td}>
                  <span
                    className={`rounded px-1.5 py-px text-xs font-medium ring-1 ring-inset ${STATUS_CLASS[l.status]}`}
                  >
                    {l.status}
                  </span>
                </td>
                <td className={`${td} text-right`}>
                  {l.status === 'active' && (
                    <button
                      type="button"
                      data-testid="console-share-revoke"
                      className={btn.danger}
                      onClick={() => setRevoking(l)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="px-3 py-2 text-xs text-zinc-500">{links.isPending ? 'Loading…' : 'No share links.'}</p>
      )}
      {revoking && (
        <ConfirmDialog
          title="Revoke share link"
          confirmLabel="Revoke"
          testId="console-share-revoke-dialog"
          onCancel={() => setRevoking(null)}
          onConfirm={() => {
            revoke.mutate({ linkId: revoking.id });
            setRevoking(null);
          }}
        >
          <p className="text-sm text-zinc-700">
            The link made by {revoking.createdByName} stops working at once, and anyone watching through it is
            disconnected within seconds. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
