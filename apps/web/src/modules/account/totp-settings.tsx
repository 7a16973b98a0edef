'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatDateTime, plural } from '../ui/format';
import { TotpDisableForm } from './totp-disable-form';
import { TotpEnrolment } from './totp-enrolment';

/**
 * Two-factor authentication of the signed-in user: off → set up (QR code, then a code to
 * confirm) → the recovery codes, shown once → on (turn off with the password or a code).
 */
export function TotpSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.totp.status.queryOptions());
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.totp.status.queryKey() });
  const begin = useMutation(trpc.totp.begin.mutationOptions());

  return (
    <section
      data-testid="totp-settings"
      data-state={status.data ? (status.data.enabled ? 'on' : 'off') : 'loading'}
      className="space-y-3 rounded-lg border border-zinc-200 bg-white p-4 shadow-xs"
    >
      <div>
        <h2 className="text-sm font-semibold text-zinc-900">Two-factor authentication</h2>
        <p className="mt-0.5 text-sm text-zinc-600">
          A 6-digit code from an authenticator app (such as FreeOTP, Aegis or Google Authenticator) at each login, after
          your password.
        </p>
      </div>
      <ErrorText error={status.error} />
      {recoveryCodes ? (
        <RecoveryCodes codes={recoveryCodes} onDone={() => setRecoveryCodes(null)} />
      ) : status.data?.enabled ? (
        <>
          <p className="text-sm text-zinc-800" data-testid="totp-status">
            <span className="mr-2 rounded bg-emerald-100 px-1.5 py-px text-xs font-medium text-emerald-800">On</span>
            {`Since ${formatDateTime(status.data.enabledAt)}; ${plural(status.data.recoveryCodesLeft, 'recovery code')} left.`}
          </p>
          <TotpDisableForm onDone={refresh} />
        </>
      ) : begin.data ? (
        <TotpEnrolment
          enrolment={begin.data}
          onEnabled={(codes) => {
            setRecoveryCodes(codes);
            begin.reset();
            void refresh();
          }}
          onCancel={() => begin.reset()}
        />
      ) : (
        status.data && (
          <div className="space-y-2">
            <p className="text-sm text-zinc-800" data-testid="totp-status">
              <span className="mr-2 rounded bg-zinc-100 px-1.5 py-px text-xs font-medium text-zinc-700">Off</span>
              Your password alone logs you in.
            </p>
            <button
              type="button"
              data-testid="totp-begin"
              className={btn.primary}
              disabled={begin.isPending}
              onClick={() => begin.mutate()}
            >
              {begin.isPending ? 'Preparing…' : 'Set up two-factor authentication'}
            </button>
            <ErrorText error={begin.error} />
          </div>
        )
      )}
    </section>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="space-y-3" data-testid="totp-recovery">
      <div className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
        Two-factor authentication is on. Save these recovery codes somewhere safe now: they are shown only this once.
        Each one logs you in once in place of a code, if your phone is lost.
      </div>
      <ol
        data-testid="totp-recovery-codes"
        className="grid grid-cols-2 gap-x-6 gap-y-1 rounded-md border border-zinc-200 bg-zinc-50 px-4 py-3 font-mono text-sm text-zinc-900 sm:w-fit"
      >
        {codes.map((c) => (
          <li key={c} data-testid="totp-recovery-code">
            {c}
          </li>
        ))}
      </ol>
      <div className="flex flex-wrap gap-2">
        <button
          type="button"
          className={btn.secondary}
          onClick={() => {
            void navigator.clipboard?.writeText(codes.join('\n')).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied ✓' : 'Copy all'}
        </button>
        <button type="button" data-testid="totp-recovery-done" className={btn.primary} onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}
