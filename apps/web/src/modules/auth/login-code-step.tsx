'use client';

import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { UserView } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

/** The login's second step for accounts with two-factor authentication on. */
export function LoginCodeStep({
  challenge,
  onDone,
  onBack,
}: {
  challenge: string;
  onDone: (user: UserView) => void;
  onBack: () => void;
}) {
  const trpc = useTRPC();
  const [code, setCode] = useState('');
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => codeRef.current?.focus(), []);
  const verify = useMutation(
    trpc.auth.loginCode.mutationOptions({
      onSuccess: onDone,
      // A wrong code is cleared for the next try, as authenticator users expect.
      onError: () => {
        setCode('');
        codeRef.current?.focus();
      },
    }),
  );

  return (
    <form
      data-testid="login-code-form"
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        verify.mutate({ challengeToken: challenge, passcode: code.trim() });
      }}
    >
      <p className="text-sm text-zinc-600">
        <span className="block font-medium text-zinc-900">Two-factor authentication</span>
        Enter the 6-digit code from your authenticator app, or one of your recovery codes.
      </p>
      <label className="block space-y-1">
        <span className="text-xs font-medium text-zinc-700">Authentication code</span>
        <input
          data-testid="login-code"
          className={`${inputClass} font-mono tracking-widest`}
          name="code"
          ref={codeRef}
          autoComplete="one-time-code"
          inputMode="text"
          placeholder="123456"
          maxLength={32}
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
      </label>
      <ErrorText error={verify.error} testId="form-error" />
      <button
        type="submit"
        data-testid="login-code-submit"
        className={`${btn.primary} h-8 w-full`}
        disabled={verify.isPending || verify.isSuccess}
      >
        {verify.isPending ? 'Checking…' : 'Verify'}
      </button>
      <button type="button" data-testid="login-code-back" className={`${btn.ghost} w-full`} onClick={onBack}>
        Back to password
      </button>
    </form>
  );
}
