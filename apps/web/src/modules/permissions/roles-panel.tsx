'use client';

/**
 * Who holds which role on one scope (issue 10): a datacenter, cluster, host, template, VM or the
 * whole system. Whoever may manage the scope grants and removes roles here (the API checks it:
 * permission.grant and permission.revoke take rule.scope('manage')); a role applies to everything
 * inside the scope, as the note under the table says.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputBase } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { EmptyRow, td, th } from '../ui/page-header';
import { UserField, useUserLookup } from './user-field';

export type ScopeKind = 'system' | 'datacenter' | 'cluster' | 'host' | 'template' | 'vm';
const ROLES = ['operator', 'viewer', 'member', 'owner', 'admin'] as const;
type Role = (typeof ROLES)[number];

/** What each role allows, in the words of services/permissions/policy.ts. */
export const ROLE_MEANING: Record<Role, string> = {
  viewer: 'sees',
  member: 'sees, runs VMs and creates them',
  operator: 'sees, runs, edits, creates and deletes',
  owner: 'all of that, and grants roles here',
  admin: 'all of that, and grants roles here',
};

const narrow = (width: string) => `h-8 ${inputBase.replace('w-full ', '')} ${width}`;

export function RolesPanel({
  scopeKind,
  scopeId,
  scopeName,
}: {
  scopeKind: ScopeKind;
  scopeId: string;
  scopeName: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const scope = { scopeKind, scopeId: scopeKind === 'system' ? '' : scopeId };
  const bindings = useQuery({ ...trpc.permission.forScope.queryOptions(scope), retry: false });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.permission.forScope.queryKey(scope) });
  const [role, setRole] = useState<Role>('operator');
  const [userText, setUserText] = useState('');
  const [removing, setRemoving] = useState<{ id: string; username: string; role: string } | null>(null);
  const lookup = useUserLookup(userText);
  const chosen = lookup.chosen;
  const grant = useMutation(
    trpc.permission.grant.mutationOptions({
      onSuccess: () => {
        setUserText('');
        void refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.permission.revoke.mutationOptions({ onSuccess: () => void refresh() }));
  const where = scopeKind === 'system' ? 'the whole system' : `${scopeKind === 'vm' ? 'VM' : scopeKind} ${scopeName}`;
  // A VM or a template holds nothing else: its roles are about it alone.
  const leaf = scopeKind === 'vm' || scopeKind === 'template';
  // Shown only to who may manage the scope: the API refuses the list to anyone else.
  if (bindings.isError) return null;

  return (
    <section
      className="overflow-x-auto rounded-lg border border-zinc-200 bg-white shadow-xs"
      data-testid="roles-panel"
      data-scope={scopeKind}
    >
      <h2 className="border-b border-zinc-200 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        Roles on {where}
      </h2>
      <table className="w-full border-separate border-spacing-0 text-sm">
        <thead>
          <tr>
            <th className={th}>User</th>
            <th className={th}>Role</th>
            <th className={`${th} w-full`}>Allows</th>
            <th className={`${th} text-right`}>Actions</th>
          </tr>
        </thead>
        <tbody>
          {(bindings.data ?? []).map((b) => (
            <tr key={b.id} data-testid="role-row" data-name={b.username} data-role={b.role}>
              <td className={`${td} font-medium`}>{b.username}</td>
              <td className={td}>
                <span className="rounded bg-zinc-100 px-1.5 py-px text-xs font-medium text-zinc-700 ring-1 ring-zinc-500/20 ring-inset">
                  {b.role}
                </span>
              </td>
              <td className={`${td} text-zinc-600`}>{ROLE_MEANING[b.role as Role] ?? ''}</td>
              <td className={`${td} text-right`}>
                <button
                  type="button"
                  className={btn.danger}
                  data-testid="role-remove"
                  disabled={revoke.isPending}
                  onClick={() => setRemoving({ id: b.id, username: b.username, role: b.role })}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
          {bindings.isSuccess && bindings.data.length === 0 && (
            <EmptyRow colSpan={4}>No one holds a role here; administrators manage it.</EmptyRow>
          )}
        </tbody>
      </table>
      <form
        className="flex flex-wrap items-center gap-2 border-t border-zinc-200 p-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (chosen) grant.mutate({ ...scope, userId: chosen.id, role });
        }}
      >
        <UserField testId="role-user" value={userText} onChange={setUserText} matches={lookup.matches} />
        <select
          data-testid="role-role"
          aria-label="Role"
          className={narrow('w-32')}
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" data-testid="role-grant" className={btn.secondary} disabled={!chosen || grant.isPending}>
          Grant role
        </button>
        <span className="text-xs text-zinc-500">
          {lookup.hint ??
            (scopeKind === 'system'
              ? 'A role here applies to everything.'
              : leaf
                ? `A role here applies to ${where} only${scopeKind === 'template' ? ' (its holder sees it and may create VMs from it)' : ''}.`
                : `A role here applies to everything inside ${where}.`)}
        </span>
        <ErrorText error={grant.error ?? revoke.error ?? lookup.error} testId="role-error" />
      </form>
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.username}'s ${removing.role} role?`}
          confirmLabel="Remove role"
          testId="role-remove-dialog"
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            revoke.mutate({ ...scope, bindingId: removing.id });
            setRemoving(null);
          }}
        >
          <p>
            {removing.username} loses what the role allowed on {where} at once: open pages stop showing it on their next
            refresh.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
