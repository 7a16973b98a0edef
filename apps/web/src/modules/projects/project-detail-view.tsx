'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputBase, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { plural } from '../ui/format';
import { EmptyRow, PageHeader, td, th } from '../ui/page-header';
import { UserField, useUserLookup } from '../permissions/user-field';
import { QUOTA_KINDS, QUOTA_LABELS, type QuotaKind } from '../quotas/quota-bars';

type Project = RouterOutputs['project']['byId'];
const ROLES = ['owner', 'operator', 'member', 'viewer', 'admin'] as const;
const KINDS = ['template', 'network', 'pool'] as const;
const box = 'rounded-lg border border-zinc-200 bg-white shadow-xs';
/** A select of its own width beside others (inputClass is full width). */
const narrow = (width: string) => `h-8 ${inputBase.replace('w-full ', '')} ${width}`;
const heading = 'border-b border-zinc-200 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase';

/** A project's page: quota limits, members and their roles, what is published to it. */
export function ProjectDetailView({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const project = useQuery(trpc.project.byId.queryOptions({ projectId }));
  const p = project.data;
  // Owners reach this page too (from the portal): quota limits, publications and removal stay
  // with administrators; the API refuses them to anyone else either way.
  const isAdmin = useSession().user?.role === 'admin';
  return (
    <>
      <PageHeader
        title={p ? `Project ${p.name}` : 'Project'}
        meta={
          p && (
            <span>{`${plural(p.vmCount, 'VM')} · ${plural(p.members.length, 'member')} · ${p.publications.length} published`}</span>
          )
        }
        actions={p && isAdmin && <RemoveProject project={p} />}
      />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <ErrorText error={project.error} />
        {p && (
          <div className="flex flex-wrap items-start gap-4">
            <div className="min-w-0 flex-1 basis-96 space-y-4">
              <Members project={p} />
              <Publications project={p} editable={isAdmin} />
            </div>
            <Limits key={p.id} project={p} editable={isAdmin} />
          </div>
        )}
      </div>
    </>
  );
}

function useRefresh(projectId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.project.byId.queryKey({ projectId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.project.list.queryKey() }),
    ]);
}

function Limits({ project, editable }: { project: Project; editable: boolean }) {
  const trpc = useTRPC();
  const refresh = useRefresh(project.id);
  const [values, setValues] = useState<Record<QuotaKind, string>>(
    () =>
      Object.fromEntries(
        QUOTA_KINDS.map((k) => [k, project.quota[k] === null ? '' : String(project.quota[k])]),
      ) as Record<QuotaKind, string>,
  );
  const update = useMutation(trpc.project.update.mutationOptions({ onSuccess: refresh }));
  return (
    <form
      noValidate
      data-testid="project-limits"
      className={`${box} w-full shrink-0 lg:w-80`}
      onSubmit={(e) => {
        e.preventDefault();
        const quota = Object.fromEntries(
          QUOTA_KINDS.map((k) => [k, values[k].trim() === '' ? null : Number(values[k])]),
        ) as Record<QuotaKind, number | null>;
        update.mutate({ projectId: project.id, quota });
      }}
    >
      <h2 className={heading}>Quota limits</h2>
      <div className="space-y-2 p-3">
        {QUOTA_KINDS.map((k) => (
          <label key={k} className="flex items-center gap-2">
            <span className="w-28 shrink-0 text-xs font-medium text-zinc-700">{QUOTA_LABELS[k]}</span>
            <input
              data-testid={`quota-${k}`}
              inputMode="numeric"
              placeholder="no limit"
              className={`${inputClass} tabular-nums read-only:border-transparent read-only:bg-zinc-50`}
              value={values[k]}
              readOnly={!editable}
              onChange={(e) => setValues({ ...values, [k]: e.target.value })}
            />
            <span className="w-14 shrink-0 text-right text-xs text-zinc-500 tabular-nums" title="in use">
              {project.used[k]}
            </span>
          </label>
        ))}
        <span className="block text-xs text-zinc-500">
          Empty: no limit. The right column is what is in use.{editable ? '' : ' Administrators set the limits.'}
        </span>
        <ErrorText error={update.error} testId="form-error" />
        {update.isSuccess && !update.isPending && (
          <output className="block text-xs text-emerald-700" data-testid="limits-saved">
            Limits saved.
          </output>
        )}
        {editable && (
          <button type="submit" className={btn.primary} data-testid="limits-save" disabled={update.isPending}>
            Save limits
          </button>
        )}
      </div>
    </form>
  );
}

function Members({ project }: { project: Project }) {
  const trpc = useTRPC();
  const refresh = useRefresh(project.id);
  const [userText, setUserText] = useState('');
  const lookup = useUserLookup(userText);
  const [role, setRole] = useState<(typeof ROLES)[number]>('member');
  const grant = useMutation(
    trpc.project.grant.mutationOptions({
      onSuccess: () => {
        setUserText('');
        refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.project.revoke.mutationOptions({ onSuccess: refresh }));
  return (
    <section className={`${box} overflow-x-auto`} data-testid="project-members">
      <h2 className={heading}>Members and roles</h2>
      <table className="w-full border-separate border-spacing-0 text-sm">
        <thead>
          <tr>
            <th className={th}>User</th>
            <th className={th}>Role</th>
            <th className={`${th} w-full text-right`}>Actions</th>
          </tr>
        </thead>
        <tbody>
          {project.members.map((m) => (
            <tr key={m.id} data-testid="member-row" data-name={m.username}>
              <td className={`${td} font-medium`}>{m.username}</td>
              <td className={td}>
                <span className="rounded bg-zinc-100 px-1.5 py-px text-xs font-medium text-zinc-700 ring-1 ring-zinc-500/20 ring-inset">
                  {m.role}
                </span>
              </td>
              <td className={`${td} text-right`}>
                {project.youManage && (
                  <button
                    type="button"
                    className={btn.danger}
                    data-testid="member-remove"
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate({ projectId: project.id, bindingId: m.id })}
                  >
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
          {project.members.length === 0 && <EmptyRow colSpan={3}>No members yet.</EmptyRow>}
        </tbody>
      </table>
      {project.youManage && (
        <form
          className="flex flex-wrap items-center gap-2 border-t border-zinc-200 p-3"
          onSubmit={(e) => {
            e.preventDefault();
            if (lookup.chosen) grant.mutate({ projectId: project.id, userId: lookup.chosen.id, role });
          }}
        >
          <UserField testId="member-user" value={userText} onChange={setUserText} matches={lookup.matches} />
          <select
            data-testid="member-role"
            className={narrow('w-32')}
            value={role}
            onChange={(e) => setRole(e.target.value as (typeof ROLES)[number])}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <button
            type="submit"
            data-testid="member-add"
            className={btn.secondary}
            disabled={!lookup.chosen || grant.isPending}
          >
            Grant role
          </button>
          {lookup.hint && <span className="text-xs text-zinc-500">{lookup.hint}</span>}
          <ErrorText error={grant.error ?? revoke.error ?? lookup.error} />
        </form>
      )}
    </section>
  );
}

function Publications({ project, editable }: { project: Project; editable: boolean }) {
  const trpc = useTRPC();
  const refresh = useRefresh(project.id);
  const [kind, setKind] = useState<(typeof KINDS)[number]>('template');
  const [objectId, setObjectId] = useState('');
  // The pickers' lists only for who publishes (administrators).
  const templates = useQuery({ ...trpc.template.list.queryOptions(), enabled: editable });
  const networks = useQuery({ ...trpc.network.list.queryOptions(), enabled: editable });
  const pools = useQuery({ ...trpc.storage.list.queryOptions(), enabled: editable });
  const choices: { id: string; name: string }[] =
    kind === 'template' ? (templates.data ?? []) : kind === 'network' ? (networks.data ?? []) : (pools.data ?? []);
  const publish = useMutation(trpc.project.publish.mutationOptions({ onSuccess: refresh }));
  const unpublish = useMutation(trpc.project.unpublish.mutationOptions({ onSuccess: refresh }));
  return (
    <section className={`${box} overflow-x-auto`} data-testid="project-publications">
      <h2 className={heading}>Published to this project</h2>
      <table className="w-full border-separate border-spacing-0 text-sm">
        <thead>
          <tr>
            <th className={th}>Kind</th>
            <th className={th}>Name</th>
            <th className={`${th} w-full text-right`}>{editable ? 'Actions' : ''}</th>
          </tr>
        </thead>
        <tbody>
          {project.publications.map((p) => (
            <tr key={`${p.objectKind}:${p.objectId}`} data-testid="publication-row" data-name={p.name ?? ''}>
              <td className={`${td} text-zinc-600`}>{p.objectKind}</td>
              <td className={`${td} font-medium`}>{p.name ?? <span className="text-zinc-400">(removed)</span>}</td>
              <td className={`${td} text-right`}>
                {editable && (
                  <button
                    type="button"
                    className={btn.danger}
                    disabled={unpublish.isPending}
                    onClick={() =>
                      unpublish.mutate({ projectId: project.id, objectKind: p.objectKind, objectId: p.objectId })
                    }
                  >
                    Unpublish
                  </button>
                )}
              </td>
            </tr>
          ))}
          {project.publications.length === 0 && (
            <EmptyRow colSpan={3}>Nothing published: members see no templates, networks or pools.</EmptyRow>
          )}
        </tbody>
      </table>
      {editable && (
        <form
          className="flex flex-wrap items-center gap-2 border-t border-zinc-200 p-3"
          onSubmit={(e) => {
            e.preventDefault();
            if (objectId) publish.mutate({ projectId: project.id, objectKind: kind, objectId });
          }}
        >
          <select
            data-testid="publish-kind"
            className={narrow('w-32')}
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as (typeof KINDS)[number]);
              setObjectId('');
            }}
          >
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
          <select
            data-testid="publish-object"
            className={narrow('w-48')}
            value={objectId}
            onChange={(e) => setObjectId(e.target.value)}
          >
            <option value="">{`Choose a ${kind}…`}</option>
            {choices.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          <button
            type="submit"
            data-testid="publish-add"
            className={btn.secondary}
            disabled={!objectId || publish.isPending}
          >
            Publish
          </button>
          <ErrorText error={publish.error ?? unpublish.error} />
        </form>
      )}
    </section>
  );
}

function RemoveProject({ project }: { project: Project }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.project.remove.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.project.list.queryKey() });
        router.push('/projects');
      },
    }),
  );
  return (
    <div className="flex items-center gap-2">
      <ErrorText error={remove.error} testId="remove-error" />
      <button
        type="button"
        data-testid="project-remove"
        className={btn.danger}
        disabled={remove.isPending}
        onClick={() => {
          if (window.confirm(`Delete project ${project.name}?`)) remove.mutate({ projectId: project.id });
        }}
      >
        Delete project
      </button>
    </div>
  );
}
