'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { EmptyRow, PageHeader, td, th } from '../ui/page-header';
import { quotaText } from './quota';

const COLUMNS = ['Project', 'VMs', 'vCPUs', 'Memory', 'Disk', 'Description'];

/** Administration → Projects: every project with its usage against its limits, and a create form. */
export function ProjectListView() {
  const trpc = useTRPC();
  const list = useQuery(trpc.project.list.queryOptions());
  const rows = list.data ?? [];
  return (
    <>
      <PageHeader title="Projects" meta={list.data && <span>{`${rows.length} projects`}</span>} />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <div className="flex flex-wrap items-start gap-4">
          <section className="min-w-0 flex-1 basis-96 overflow-x-auto rounded-lg border border-zinc-200 bg-white shadow-xs">
            {list.error && (
              <div className="p-3">
                <ErrorText error={list.error} />
              </div>
            )}
            <table className="w-full border-separate border-spacing-0 text-sm">
              <thead>
                <tr>
                  {COLUMNS.map((c) => (
                    <th key={c} className={th}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => (
                  <tr key={p.id} data-testid="project-row" data-name={p.name} className="hover:bg-zinc-50">
                    <td className={`${td} font-medium`}>
                      <Link className="text-teal-800 hover:underline" href={`/projects/${p.id}`}>
                        {p.name}
                      </Link>
                    </td>
                    <td className={`${td} tabular-nums`}>{quotaText('Vms', p.vmCount, p.quota.Vms)}</td>
                    <td className={`${td} tabular-nums`}>{quotaText('Vcpus', p.used.Vcpus, p.quota.Vcpus)}</td>
                    <td className={`${td} tabular-nums`}>
                      {quotaText('MemoryMiB', p.used.MemoryMiB, p.quota.MemoryMiB)}
                    </td>
                    <td className={`${td} tabular-nums`}>{quotaText('DiskGiB', p.used.DiskGiB, p.quota.DiskGiB)}</td>
                    <td className={`${td} max-w-64 truncate text-zinc-600`}>{p.description}</td>
                  </tr>
                ))}
                {list.isPending && <EmptyRow colSpan={COLUMNS.length}>Loading projects…</EmptyRow>}
                {list.data && rows.length === 0 && (
                  <EmptyRow colSpan={COLUMNS.length}>No projects yet. Create one to give users their own VMs.</EmptyRow>
                )}
              </tbody>
            </table>
          </section>
          <ProjectCreateForm />
        </div>
      </div>
    </>
  );
}

function ProjectCreateForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = useMutation(
    trpc.project.create.mutationOptions({
      onSuccess: () => {
        setName('');
        setDescription('');
        return queryClient.invalidateQueries({ queryKey: trpc.project.list.queryKey() });
      },
    }),
  );
  return (
    <form
      noValidate
      data-testid="project-create-form"
      className="w-full shrink-0 rounded-lg border border-zinc-200 bg-white shadow-xs lg:w-80"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ name, description });
      }}
    >
      <h2 className="border-b border-zinc-200 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        New project
      </h2>
      <div className="space-y-3 p-3">
        <label className="block space-y-1">
          <span className="block text-xs font-medium text-zinc-700">Name</span>
          <input
            data-testid="project-name"
            className={inputClass}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label className="block space-y-1">
          <span className="block text-xs font-medium text-zinc-700">Description</span>
          <input className={inputClass} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <span className="block text-xs text-zinc-500">
          Members, quota limits and published templates are set on the project’s page.
        </span>
        <ErrorText error={create.error} testId="form-error" />
        <button type="submit" data-testid="project-create" className={btn.primary} disabled={create.isPending}>
          Create project
        </button>
      </div>
    </form>
  );
}
