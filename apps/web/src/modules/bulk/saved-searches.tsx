'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import type { VmListParams } from '../vms/vm-list-params';
import { btn, inputClass } from '../ui/buttons';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';

export type SavedSearch = RouterOutputs['savedSearch']['list'][number];
type Filter = SavedSearch['filter'];

/** The list's params as a saved search's filter (sort is not part of a search). */
export function filterOf(p: VmListParams): Filter {
  return {
    ...(p.q.trim() ? { name: p.q.trim() } : {}),
    ...(p.state ? { states: [p.state] } : {}),
    ...(p.hostId ? { hostId: p.hostId } : {}),
    ...(p.ownerId ? { ownerId: p.ownerId } : {}),
    ...(p.tag ? { tag: p.tag } : {}),
  };
}

export function paramsOf(f: Filter): Partial<VmListParams> {
  return {
    q: f.name ?? '',
    state: f.states?.[0] ?? null,
    hostId: f.hostId ?? null,
    ownerId: f.ownerId ?? null,
    tag: f.tag ?? null,
  };
}

const same = (a: Filter, b: Filter) =>
  JSON.stringify(filterOf({ ...EMPTY, ...paramsOf(a) })) === JSON.stringify(filterOf({ ...EMPTY, ...paramsOf(b) }));
const EMPTY: VmListParams = {
  q: '',
  state: null,
  hostId: null,
  ownerId: null,
  tag: null,
  leaseDays: null,
  sort: 'name',
  dir: 'asc',
};

/** The saved search whose filter is the list's current one, if any. */
export function useActiveSearch(params: VmListParams): SavedSearch | undefined {
  const trpc = useTRPC();
  const list = useQuery(trpc.savedSearch.list.queryOptions());
  const current = filterOf(params);
  if (Object.keys(current).length === 0) return undefined;
  return list.data?.find((s) => same(s.filter, current));
}

const select =
  'h-7 min-w-0 rounded-md border border-zinc-300 bg-white px-2 text-sm text-zinc-900 shadow-xs ' +
  'focus:border-sky-600 focus:outline-none focus:ring-2 focus:ring-sky-600/20';

/** Saved searches in the filter bar: choose one to apply it, save the current filter, delete the one applied. */
export function SavedSearches({
  params,
  onApply,
}: {
  params: VmListParams;
  onApply: (next: Partial<VmListParams>) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.savedSearch.list.queryOptions());
  const active = useActiveSearch(params);
  const [saving, setSaving] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.savedSearch.list.queryKey() });
  const remove = useMutation(trpc.savedSearch.delete.mutationOptions({ onSuccess: refresh }));
  const filtered = Object.keys(filterOf(params)).length > 0;
  return (
    <div className="flex items-center gap-1">
      <select
        data-testid="saved-search-select"
        aria-label="Saved searches"
        className={`${select} w-40`}
        value={active?.id ?? ''}
        onChange={(e) => {
          const s = list.data?.find((x) => x.id === e.target.value);
          onApply(s ? paramsOf(s.filter) : paramsOf({}));
        }}
      >
        <option value="">Saved searches</option>
        {list.data?.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      {active ? (
        <button
          type="button"
          className={btn.ghost}
          data-testid="saved-search-delete"
          title={`Delete the saved search “${active.name}”`}
          onClick={() => remove.mutate({ id: active.id })}
        >
          Forget
        </button>
      ) : (
        <button
          type="button"
          className={btn.ghost}
          data-testid="saved-search-save"
          disabled={!filtered}
          title={filtered ? 'Save this filter' : 'Filter the list first'}
          onClick={() => setSaving(true)}
        >
          Save
        </button>
      )}
      {saving && (
        <SaveDialog
          filter={filterOf(params)}
          onClose={() => setSaving(false)}
          onSaved={() => {
            void refresh();
            setSaving(false);
          }}
        />
      )}
    </div>
  );
}

function SaveDialog({ filter, onClose, onSaved }: { filter: Filter; onClose: () => void; onSaved: () => void }) {
  const trpc = useTRPC();
  const save = useMutation(trpc.savedSearch.save.mutationOptions({ onSuccess: onSaved }));
  const [name, setName] = useState('');
  const formId = useId();
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <Dialog
      title="Save this search"
      testId="saved-search-dialog"
      onClose={onClose}
      footer={
        <>
          <button type="button" className={btn.secondary} onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className={btn.primary} disabled={!name.trim() || save.isPending}>
            Save
          </button>
        </>
      }
    >
      <form
        id={formId}
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) save.mutate({ name: name.trim(), filter });
        }}
      >
        <input
          ref={ref}
          data-testid="saved-search-name"
          className={inputClass}
          placeholder="Name"
          maxLength={60}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <p className="font-mono text-xs text-zinc-500">{JSON.stringify(filter)}</p>
        <ErrorText error={save.error} />
      </form>
    </Dialog>
  );
}
