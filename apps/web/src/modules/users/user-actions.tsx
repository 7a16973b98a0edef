'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputBase, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { TotpSection } from './user-totp-section';

export type UserRow = RouterOutputs['user']['list'][number];

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Refreshes the list after any change (counts, status, role). */
function useInvalidateUsers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.user.list.queryKey() });
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="min-w-0 space-y-2 rounded-md border border-zinc-200 bg-white p-2 sm:p-3">
      <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">{title}</h3>
      {children}
    </section>
  );
}

/**
 * A destructive step asked once more, in place (no second modal): the question, Cancel, and the
 * action named again. Focus lands on Cancel so a stray Enter does not destroy.
 */
function InlineConfirm({
  question,
  confirmLabel,
  pendingLabel,
  pending,
  onConfirm,
  onCancel,
  testId,
}: {
  question: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  pending: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId: string;
}) {
  return (
    <fieldset className="space-y-2 rounded-md bg-red-50 p-2 text-sm text-red-900">
      <legend className="sr-only">Confirm</legend>
      <p>{question}</p>
      <div className="flex flex-wrap justify-end gap-2">
        {/* biome-ignore lint/a11y/noAutofocus: the confirmation step must take focus from the button that opened it */}
        <button type="button" autoFocus className={btn.secondary} onClick={onCancel} disabled={pending}>
          Cancel
        </button>
        <button
          type="button"
          data-testid={`${testId}-confirm`}
          className={btn.dangerSolid}
          onClick={onConfirm}
          disabled={pending}
        >
          {pending ? pendingLabel : confirmLabel}
        </button>
      </div>
    </fieldset>
  );
}

/** Everything an admin can do to one user. `me` is the signed-in admin. */
export function UserActions({ user, me, users }: { user: UserRow; me: string | undefined; users: UserRow[] }) {
  const isMe = user.id === me;
  return (
    <div data-testid="user-actions" className="@container bg-zinc-50 p-2 sm:p-3">
      <div className="grid gap-3 @xl:grid-cols-2">
        <AccountSection user={user} isMe={isMe} />
        <SessionsSection user={user} isMe={isMe} />
        <PasswordSection user={user} />
        <TotpSection user={user} />
        <DeleteSection user={user} isMe={isMe} users={users} />
      </div>
    </div>
  );
}

function AccountSection({ user, isMe }: { user: UserRow; isMe: boolean }) {
  const trpc = useTRPC();
  const refresh = useInvalidateUsers();
  const [confirming, setConfirming] = useState(false);
  const disable = useMutation(
    trpc.user.setDisabled.mutationOptions({ onSuccess: refresh, onSettled: () => setConfirming(false) }),
  );
  const role = useMutation(trpc.user.setRole.mutationOptions({ onSuccess: refresh }));
  const nextRole = user.role === 'admin' ? 'user' : 'admin';

  return (
    <Section title="Account">
      <p className="text-sm text-zinc-700">
        {user.disabled ? 'Disabled: cannot log in.' : `Enabled ${user.role === 'admin' ? 'administrator' : 'user'}.`}
      </p>
      {confirming ? (
        <InlineConfirm
          testId="user-disable"
          question={`Disable “${user.username}”? Their ${plural(user.sessionCount, 'session')} end now and they cannot log in until enabled again.`}
          confirmLabel="Disable"
          pendingLabel="Disabling…"
          pending={disable.isPending}
          onConfirm={() => disable.mutate({ userId: user.id, disabled: true })}
          onCancel={() => setConfirming(false)}
        />
      ) : (
        <div className="flex flex-wrap gap-2">
          {user.disabled ? (
            <button
              type="button"
              data-testid="user-enable"
              className={btn.secondary}
              disabled={disable.isPending}
              onClick={() => disable.mutate({ userId: user.id, disabled: false })}
            >
              {disable.isPending ? 'Enabling…' : 'Enable'}
            </button>
          ) : (
            <button
              type="button"
              data-testid="user-disable"
              className={btn.danger}
              disabled={isMe}
              title={isMe ? 'You cannot disable your own account.' : undefined}
              onClick={() => {
                disable.reset();
                setConfirming(true);
              }}
            >
              Disable…
            </button>
          )}
          <button
            type="button"
            data-testid="user-role-toggle"
            className={btn.secondary}
            disabled={role.isPending}
            onClick={() => role.mutate({ userId: user.id, role: nextRole })}
          >
            {role.isPending ? 'Changing role…' : nextRole === 'admin' ? 'Make admin' : 'Make regular user'}
          </button>
        </div>
      )}
      {isMe && <p className="text-xs text-zinc-500">You cannot disable or delete your own account.</p>}
      <ErrorText error={disable.error ?? role.error} testId="user-account-error" />
    </Section>
  );
}

function SessionsSection({ user, isMe }: { user: UserRow; isMe: boolean }) {
  const trpc = useTRPC();
  const refresh = useInvalidateUsers();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation(
    trpc.user.revokeSessions.mutationOptions({ onSuccess: refresh, onSettled: () => setConfirming(false) }),
  );

  return (
    <Section title="Sessions">
      <p className="text-sm text-zinc-700">{`${plural(user.sessionCount, 'active session')}.`}</p>
      {confirming ? (
        <InlineConfirm
          testId="user-revoke"
          question={
            isMe
              ? 'Sign yourself out everywhere, including this browser?'
              : `Sign “${user.username}” out everywhere? Open consoles close too.`
          }
          confirmLabel="End sessions"
          pendingLabel="Ending sessions…"
          pending={revoke.isPending}
          onConfirm={() => revoke.mutate({ userId: user.id })}
          onCancel={() => setConfirming(false)}
        />
      ) : (
        <button
          type="button"
          data-testid="user-revoke"
          className={btn.secondary}
          disabled={user.sessionCount === 0}
          onClick={() => {
            revoke.reset();
            setConfirming(true);
          }}
        >
          End sessions…
        </button>
      )}
      {revoke.data && !revoke.isPending && (
        <output className="block text-xs text-emerald-700">{`Ended ${plural(revoke.data.count, 'session')}.`}</output>
      )}
      <ErrorText error={revoke.error} />
    </Section>
  );
}

function PasswordSection({ user }: { user: UserRow }) {
  const trpc = useTRPC();
  const refresh = useInvalidateUsers();
  const [password, setPassword] = useState('');
  const inputId = useId();
  const errorId = useId();
  const hintId = useId();
  const reset = useMutation(
    trpc.user.resetPassword.mutationOptions({
      onSuccess: () => {
        setPassword('');
        return refresh();
      },
    }),
  );

  return (
    <Section title="Password">
      <form
        noValidate
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          reset.mutate({ userId: user.id, password });
        }}
      >
        <label htmlFor={inputId} className="block text-xs font-medium text-zinc-700">
          New password
        </label>
        <div className="flex flex-wrap gap-2">
          <input
            id={inputId}
            data-testid="user-new-password"
            type="password"
            autoComplete="new-password"
            className={`${inputBase} h-7 min-w-0 flex-1 basis-40`}
            value={password}
            aria-invalid={reset.error ? true : undefined}
            aria-describedby={reset.error ? `${errorId} ${hintId}` : hintId}
            onChange={(e) => setPassword(e.target.value)}
          />
          <button
            type="submit"
            data-testid="user-password-submit"
            className={btn.secondary}
            disabled={reset.isPending || !password}
          >
            {reset.isPending ? 'Setting…' : 'Set password'}
          </button>
        </div>
        <p id={hintId} className="text-xs text-zinc-500">
          At least 8 characters. The user’s sessions end; tell them the new password.
        </p>
        <div id={errorId}>
          <ErrorText error={reset.error} testId="user-password-error" />
        </div>
        {reset.isSuccess && !reset.isPending && (
          <output className="block text-xs text-emerald-700">Password changed; their sessions ended.</output>
        )}
      </form>
    </Section>
  );
}

function DeleteSection({ user, isMe, users }: { user: UserRow; isMe: boolean; users: UserRow[] }) {
  const trpc = useTRPC();
  const refresh = useInvalidateUsers();
  const candidates = users.filter((u) => u.id !== user.id);
  const [newOwnerId, setNewOwnerId] = useState('');
  const [confirming, setConfirming] = useState(false);
  const selectId = useId();
  const errorId = useId();
  const remove = useMutation(
    trpc.user.delete.mutationOptions({ onSuccess: refresh, onSettled: () => setConfirming(false) }),
  );
  const ownsVms = user.vmCount > 0;
  const newOwner = candidates.find((u) => u.id === newOwnerId);

  return (
    <Section title="Delete">
      {ownsVms ? (
        <div className="space-y-1">
          <label htmlFor={selectId} className="block text-xs font-medium text-zinc-700">
            {`Give their ${plural(user.vmCount, 'VM')} to`}
          </label>
          <select
            id={selectId}
            data-testid="user-new-owner"
            className={inputClass}
            value={newOwnerId}
            aria-invalid={remove.error ? true : undefined}
            aria-describedby={remove.error ? errorId : undefined}
            onChange={(e) => setNewOwnerId(e.target.value)}
          >
            <option value="">Choose a user…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.username}
                {u.disabled ? ' (disabled)' : ''}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <p className="text-sm text-zinc-700">Owns no VMs.</p>
      )}
      {confirming ? (
        <InlineConfirm
          testId="user-delete"
          question={`Delete “${user.username}” for good?${
            ownsVms ? ` Their ${plural(user.vmCount, 'VM')} go to “${newOwner?.username ?? '?'}”.` : ''
          }`}
          confirmLabel="Delete user"
          pendingLabel="Deleting…"
          pending={remove.isPending}
          onConfirm={() => remove.mutate({ userId: user.id, ...(ownsVms && newOwnerId ? { newOwnerId } : {}) })}
          onCancel={() => setConfirming(false)}
        />
      ) : (
        <button
          type="button"
          data-testid="user-delete"
          className={btn.danger}
          disabled={isMe || (ownsVms && !newOwnerId)}
          title={isMe ? 'You cannot delete your own account.' : undefined}
          onClick={() => {
            remove.reset();
            setConfirming(true);
          }}
        >
          Delete user…
        </button>
      )}
      <div id={errorId}>
        <ErrorText error={remove.error} testId="user-delete-error" />
      </div>
    </Section>
  );
}
