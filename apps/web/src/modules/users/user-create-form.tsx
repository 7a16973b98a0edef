'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterInputs } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

type Role = RouterInputs['user']['create']['role'];

const ROLE_HINT: Record<Role, string> = {
  user: 'Sees and manages only the VMs they create.',
  admin: 'Manages all VMs, hosts and users.',
};

/** Create a user. Rules (username shape, password length, uniqueness) are the server's; its message is shown as is. */
export function UserCreateForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('user');
  const create = useMutation(
    trpc.user.create.mutationOptions({
      onSuccess: () => {
        setUsername('');
        setPassword('');
        setRole('user');
        return queryClient.invalidateQueries({ queryKey: trpc.user.list.queryKey() });
      },
    }),
  );

  return (
    // Beside the list on wide screens; once it wraps below the list it takes the full width, as the list does.
    <form
      noValidate
      data-testid="user-create-form"
      className="w-full shrink-0 rounded-lg lg:w-80 border border-zinc-200 bg-white shadow-xs"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ username, password, role });
      }}
    >
      <h2 className="border-b border-zinc-200 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        New user
      </h2>
      <div className="space-y-3 p-3">
        <label className="block space-y-1">
          <span className="block text-xs font-medium text-zinc-700">Username</span>
          <input
            data-testid="user-username"
            className={`${inputClass} font-mono`}
            autoComplete="off"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="block space-y-1">
          <span className="block text-xs font-medium text-zinc-700">Password</span>
          <input
            data-testid="user-password"
            type="password"
            autoComplete="new-password"
            className={inputClass}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <label className="block space-y-1">
          <span className="block text-xs font-medium text-zinc-700">Role</span>
          <select
            data-testid="user-role"
            className={inputClass}
            value={role}
            onChange={(e) => setRole(e.target.value === 'admin' ? 'admin' : 'user')}
          >
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
          <span className="block text-xs text-zinc-500">{ROLE_HINT[role]}</span>
        </label>
        <ErrorText error={create.error} testId="form-error" />
        {create.data && !create.isPending && (
          <output data-testid="user-created" className="block text-xs text-emerald-700">
            {`Created ${create.data.role} “${create.data.username}”.`}
          </output>
        )}
      </div>
      <div className="flex justify-end rounded-b-lg border-t border-zinc-100 bg-zinc-50 px-3 py-2.5">
        <button
          type="submit"
          data-testid="user-create-submit"
          className={btn.primary}
          disabled={create.isPending || !username || !password}
        >
          {create.isPending ? 'Creating…' : 'Create user'}
        </button>
      </div>
    </form>
  );
}
