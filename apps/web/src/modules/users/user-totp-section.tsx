'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import type { UserRow } from './user-actions';

/**
 * The admin's reset of a user's two-factor authentication (a lost phone). The look follows
 * user-actions.tsx's sections; it lives apart to keep that file short.
 */
export function TotpSection({ user }: { user: UserRow }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const reset = useMutation(
    trpc.user.resetTotp.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.user.list.queryKey() }),
      onSettled: () => setConfirming(false),
    }),
  );

  return (
    <section className="min-w-0 space-y-2 rounded-md border border-zinc-200 bg-white p-2 sm:p-3">
      <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">Two-factor authentication</h3>
      <p className="text-sm text-zinc-700" data-testid="user-totp-status">
        {user.totpEnabled ? 'On: logs in with a password and a code.' : 'Off: logs in with a password alone.'}
      </p>
      {confirming ? (
        <fieldset className="space-y-2 rounded-md bg-red-50 p-2 text-sm text-red-900">
          <legend className="sr-only">Confirm</legend>
          <p>{`Reset two-factor authentication of “${user.username}”? They log in with their password alone until they set it up again. This is recorded as an event.`}</p>
          <div className="flex flex-wrap justify-end gap-2">
            {/* biome-ignore lint/a11y/noAutofocus: the confirmation step must take focus from the button that opened it */}
            <button type="button" autoFocus className={btn.secondary} onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button
              type="button"
              data-testid="user-totp-reset-confirm"
              className={btn.dangerSolid}
              disabled={reset.isPending}
              onClick={() => reset.mutate({ userId: user.id })}
            >
              {reset.isPending ? 'Resetting…' : 'Reset'}
            </button>
          </div>
        </fieldset>
      ) : (
        user.totpEnabled && (
          <button
            type="button"
            data-testid="user-totp-reset"
            className={btn.danger}
            onClick={() => {
              reset.reset();
              setConfirming(true);
            }}
          >
            Reset two-factor…
          </button>
        )
      )}
      {reset.isSuccess && !user.totpEnabled && (
        <output className="block text-xs text-emerald-700">Reset; recorded as an event.</output>
      )}
      <ErrorText error={reset.error} testId="user-totp-error" />
    </section>
  );
}
