'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { formatMiB } from '../ui/format';
import { EmptyRow, PageHeader, TableHead, td } from '../ui/page-header';

type Flavor = RouterOutputs['flavor']['list'][number];

/** Administration → Portal flavors: the sizes members choose from when they create a VM. */
export function FlavorsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.flavor.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.flavor.list.queryKey() });
  const create = useMutation(trpc.flavor.create.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.flavor.remove.mutationOptions({ onSuccess: refresh }));
  const [removing, setRemoving] = useState<Flavor | null>(null);
  const [draft, setDraft] = useState({ name: '', vcpus: '1', memoryMiB: '512', description: '' });

  return (
    <>
      <PageHeader title="Portal flavors" meta="The sizes offered in the self-service portal" />
      <div className="min-h-0 flex-1 overflow-auto p-4">
        <form
          className="mb-4 flex max-w-4xl flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate(
              {
                name: draft.name,
                description: draft.description,
                vcpus: Number(draft.vcpus),
                memoryMiB: Number(draft.memoryMiB),
              },
              { onSuccess: () => setDraft({ name: '', vcpus: '1', memoryMiB: '512', description: '' }) },
            );
          }}
          data-testid="flavor-create-form"
        >
          <Input label="Name" value={draft.name} onChange={(name) => setDraft({ ...draft, name })} width="w-40" />
          <Input
            label="vCPUs"
            value={draft.vcpus}
            onChange={(vcpus) => setDraft({ ...draft, vcpus })}
            width="w-20"
            type="number"
          />
          <Input
            label="Memory (MiB)"
            value={draft.memoryMiB}
            onChange={(memoryMiB) => setDraft({ ...draft, memoryMiB })}
            width="w-28"
            type="number"
          />
          <Input
            label="Description"
            value={draft.description}
            onChange={(description) => setDraft({ ...draft, description })}
            width="w-64"
          />
          <button type="submit" className={btn.primary} disabled={create.isPending}>
            {create.isPending ? 'Adding…' : 'Add flavor'}
          </button>
        </form>
        <div className="mb-3 max-w-4xl">
          <ErrorText error={create.error ?? remove.error ?? list.error} />
        </div>
        <table className="w-full max-w-4xl text-sm" data-testid="flavor-table">
          <TableHead columns={['Name', 'Size', 'Description', '']} />
          <tbody>
            {list.data?.length === 0 && (
              <EmptyRow colSpan={4}>No flavors: members cannot create VMs in the portal.</EmptyRow>
            )}
            {list.data?.map((f) => (
              <tr key={f.id} data-testid={`flavor-${f.name}`}>
                <td className={`${td} font-medium`}>{f.name}</td>
                <td className={`${td} tabular-nums`}>
                  {f.vcpus} vCPU · {formatMiB(f.memoryMiB)}
                </td>
                <td className={`${td} text-zinc-600`}>{f.description}</td>
                <td className={`${td} text-right`}>
                  <button type="button" className={btn.danger} onClick={() => setRemoving(f)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {removing && (
        <ConfirmDialog
          title={`Remove flavor ${removing.name}?`}
          confirmLabel="Remove"
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            remove.mutate({ flavorId: removing.id });
            setRemoving(null);
          }}
        >
          Members will no longer be offered it. VMs created with it keep their size.
        </ConfirmDialog>
      )}
    </>
  );
}

function Input({
  label,
  value,
  onChange,
  width,
  type = 'text',
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  width: string;
  type?: string;
}) {
  return (
    <label className="flex flex-col gap-1 text-xs font-medium text-zinc-700">
      {label}
      <input
        type={type}
        className={`${inputClass} ${width}`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}
