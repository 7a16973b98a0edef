'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterInputs } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { CopyField } from '../ui/copy-field';
import { Dialog } from '../ui/dialog';
import { Field, FormDialog } from '../ui/form-dialog';
import { formatDateTime } from '../ui/format';

type Scope = RouterInputs['apiToken']['create']['scope'];

const EXPIRIES = [
  { days: 7, label: '7 days' },
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 365, label: '1 year (the longest)' },
];

const SCOPE_HINT: Record<Scope, string> = {
  read: 'Queries only: lists, details, tasks. Any change is refused.',
  write: 'Queries and changes, within what your account may do.',
};

/** Create a token; the answer shows it once, with a copy button. */
export function ApiTokenCreate({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('read');
  const [days, setDays] = useState(30);
  const create = useMutation(
    trpc.apiToken.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiToken.list.queryKey() }),
    }),
  );

  if (create.data) {
    return (
      <Dialog
        title="API token created"
        testId="api-token-created"
        onClose={onClose}
        footer={
          <button type="button" data-testid="api-token-done" className={btn.primary} onClick={onClose}>
            Done
          </button>
        }
      >
        <div className="space-y-3 text-sm">
          <p className="rounded-md bg-amber-50 px-3 py-2 text-amber-900 ring-1 ring-amber-600/20 ring-inset">
            <span className="font-semibold">Copy it now: you will not see it again.</span> Vireo keeps only a hash of
            it. If you lose it, revoke it and create another.
          </p>
          <CopyField value={create.data.token} testId="api-token-value" rows={2} />
          <p className="text-xs text-zinc-600">
            Send it as <code className="rounded bg-zinc-100 px-1 font-mono">Authorization: Bearer …</code> to{' '}
            <code className="rounded bg-zinc-100 px-1 font-mono">/api/trpc</code>. It is a{' '}
            <span className="font-medium">{create.data.item.scope}</span> token for “{create.data.item.name}”, valid
            until {formatDateTime(create.data.item.expiresAt)}.
          </p>
        </div>
      </Dialog>
    );
  }

  return (
    <FormDialog
      title="New API token"
      submitLabel="Create token"
      busyLabel="Creating…"
      busy={create.isPending}
      canSubmit={name.trim().length > 0}
      error={create.error}
      testId="api-token-dialog"
      onSubmit={() => create.mutate({ name: name.trim(), scope, expiresInDays: days })}
      onClose={onClose}
    >
      <Field label="Name" hint="What uses it: “backup script”, “monitoring”.">
        {(id) => (
          <input
            id={id}
            data-testid="api-token-name"
            className={inputClass}
            value={name}
            maxLength={64}
            autoComplete="off"
            onChange={(e) => setName(e.target.value)}
          />
        )}
      </Field>
      <fieldset className="space-y-1">
        <legend className="text-xs font-medium text-zinc-700">Scope</legend>
        {(['read', 'write'] as const).map((s) => (
          <label key={s} className="flex items-start gap-2 text-sm">
            <input
              type="radio"
              name="scope"
              value={s}
              data-testid={`api-token-scope-${s}`}
              checked={scope === s}
              onChange={() => setScope(s)}
              className="mt-1"
            />
            <span>
              <span className="font-medium text-zinc-900">{s}</span>
              <span className="block text-xs text-zinc-500">{SCOPE_HINT[s]}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <Field label="Expires after">
        {(id) => (
          <select
            id={id}
            data-testid="api-token-expiry"
            className={inputClass}
            value={days}
            onChange={(e) => setDays(Number(e.target.value))}
          >
            {EXPIRIES.map((e) => (
              <option key={e.days} value={e.days}>
                {e.label}
              </option>
            ))}
          </select>
        )}
      </Field>
    </FormDialog>
  );
}
