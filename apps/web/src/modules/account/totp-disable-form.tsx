'use client';

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputBase } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

/** Turning two-factor off asks for the password, or a current code (or a recovery code). */
export function TotpDisableForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const [mode, setMode] = useState<'password' | 'code'>('password');
  const [value, setValue] = useState('');
  const disable = useMutation(
    trpc.totp.disable.mutationOptions({
      onSuccess: () => {
        setValue('');
        onDone();
      },
    }),
  );

  return (
    <form
      className="space-y-2 border-t border-zinc-100 pt-3"
      onSubmit={(e) => {
        e.preventDefault();
        disable.mutate(mode === 'password' ? { password: value } : { passcode: value.trim() });
      }}
    >
      <label htmlFor="totp-disable-value" className="block text-xs font-medium text-zinc-700">
        {mode === 'password' ? 'To turn it off, enter your password' : 'To turn it off, enter a current code'}
      </label>
      <div className="flex max-w-md flex-wrap gap-2">
        <input
          id="totp-disable-value"
          data-testid="totp-disable-value"
          type={mode === 'password' ? 'password' : 'text'}
          autoComplete={mode === 'password' ? 'current-password' : 'one-time-code'}
          className={`${inputBase} h-7 min-w-0 flex-1 basis-48`}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button
          type="submit"
          data-testid="totp-disable-submit"
          className={btn.danger}
          disabled={disable.isPending || !value}
        >
          {disable.isPending ? 'Turning off…' : 'Turn off'}
        </button>
      </div>
      <button
        type="button"
        className="text-xs text-sky-700 hover:underline"
        onClick={() => {
          setMode(mode === 'password' ? 'code' : 'password');
          setValue('');
          disable.reset();
        }}
      >
        {mode === 'password' ? 'Use a code instead' : 'Use your password instead'}
      </button>
      <ErrorText error={disable.error} testId="totp-disable-error" />
    </form>
  );
}
