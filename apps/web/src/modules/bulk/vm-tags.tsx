'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { btn, inputBase } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

/** A tag as a chip; links to the list filtered by it. */
export function TagChip({ tag, onRemove }: { tag: string; onRemove?: () => void }) {
  return (
    <span
      data-testid="vm-tag"
      data-tag={tag}
      className="inline-flex h-5 items-center gap-1 rounded bg-zinc-100 px-1.5 font-mono text-[11px] text-zinc-700 ring-1 ring-zinc-500/15 ring-inset"
    >
      <Link href={`/vms?tag=${encodeURIComponent(tag)}`} className="hover:text-teal-700 hover:underline">
        {tag}
      </Link>
      {onRemove && (
        <button
          type="button"
          aria-label={`Remove tag ${tag}`}
          data-testid="vm-tag-remove"
          className="text-zinc-400 hover:text-red-600"
          onClick={onRemove}
        >
          ×
        </button>
      )}
    </span>
  );
}

/** The VM page's tags: chips with remove buttons and a box to add one. The view follows the live VM. */
export function VmTagEditor({ vm }: { vm: VmView }) {
  const trpc = useTRPC();
  const [text, setText] = useState('');
  const qc = useQueryClient();
  // The live stream brings the change too; refetching at once keeps the page right when it lags.
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.vm.byId.queryKey({ vmId: vm.id }) });
  const add = useMutation(
    trpc.tag.add.mutationOptions({
      onSuccess: () => {
        setText('');
        refresh();
      },
    }),
  );
  const remove = useMutation(trpc.tag.remove.mutationOptions({ onSuccess: refresh }));
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-1" data-testid="vm-tags">
        {vm.tags.length === 0 && <span className="text-xs text-zinc-500">No tags.</span>}
        {vm.tags.map((t) => (
          <TagChip key={t} tag={t} onRemove={() => remove.mutate({ vmId: vm.id, tag: t })} />
        ))}
      </div>
      <form
        className="flex gap-1"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) add.mutate({ vmId: vm.id, tag: text.trim() });
        }}
      >
        <input
          data-testid="vm-tag-input"
          aria-label="New tag"
          placeholder="add a tag, e.g. env:prod"
          maxLength={40}
          className={`${inputBase} h-7 font-mono text-xs`}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button
          type="submit"
          className={btn.secondary}
          disabled={!text.trim() || add.isPending}
          data-testid="vm-tag-add"
        >
          Add
        </button>
      </form>
      <ErrorText error={add.error ?? remove.error} />
    </div>
  );
}
