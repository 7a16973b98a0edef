'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputClass } from '../ui/buttons';
import type { UserView } from '@/trpc/types';
import { ErrorText } from '../ui/error-text';
import { LoginCodeStep } from './login-code-step';
import { safeNextPath } from './safe-next-path';
import { SsoButton } from './sso-button';

export function LoginForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  /** Set when the account has two-factor authentication on: the code step is next. */
  const [challenge, setChallenge] = useState<string | null>(null);
  const usernameRef = useRef<HTMLInputElement>(null);
  useEffect(() => usernameRef.current?.focus(), []);

  const enter = (user: UserView) => {
    queryClient.setQueryData(trpc.auth.me.queryKey(), user);
    router.replace(safeNextPath(params.get('next')));
  };
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: (result) => {
        if ('totpRequired' in result) setChallenge(result.challengeToken);
        else enter(result);
      },
    }),
  );

  if (challenge)
    return (
      <LoginCodeStep
        challenge={challenge}
        onDone={enter}
        onBack={() => {
          setChallenge(null);
          setPassword('');
          login.reset();
        }}
      />
    );

  return (
    <>
      <form
        data-testid="login-form"
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          login.mutate({ username: username.trim(), password });
        }}
      >
        <label className="block space-y-1">
          <span className="text-xs font-medium text-zinc-700">Username</span>
          <input
            data-testid="login-username"
            className={inputClass}
            name="username"
            ref={usernameRef}
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="block space-y-1">
          <span className="text-xs font-medium text-zinc-700">Password</span>
          <input
            data-testid="login-password"
            className={inputClass}
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <ErrorText error={login.error} testId="form-error" />
        <button
          type="submit"
          data-testid="login-submit"
          className={`${btn.primary} h-8 w-full`}
          disabled={login.isPending || login.isSuccess}
        >
          {login.isPending ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      {/* Not during the code step: that one is for a local account already half-way in. */}
      <SsoButton />
    </>
  );
}
