'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputClass } from '../ui/buttons';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';
import type { Snapshot } from './snapshot-tree';

/** Rename (a display name: libvirt's name is fixed) and describe one snapshot. */
export function SnapshotEditDialog({
  vmId,
  snapshot,
  onClose,
}: {
  vmId: string;
  snapshot: Snapshot;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [displayName, setDisplayName] = useState(snapshot.displayName ?? snapshot.name);
  const [description, setDescription] = useState(snapshot.description);
  const update = useMutation(
    trpc.snapshot.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.snapshot.list.queryKey({ vmId }) });
        onClose();
      },
    }),
  );
  return (
    <Dialog
      title={`Edit snapshot ${snapshot.name}`}
      onClose={onClose}
      testId="snapshot-edit-dialog"
      footer={
        <>
          <button type="button" className={btn.secondary} onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="snapshot-edit" className={btn.primary} disabled={update.isPending}>
            Save
          </button>
        </>
      }
    >
      <form
        id="snapshot-edit"
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          update.mutate({ vmId, name: snapshot.name, displayName, description });
        }}
      >
        <label className="block space-y-1">
          <span className="text-xs text-zinc-600">Name shown</span>
          <input
            className={inputClass}
            value={displayName}
            maxLength={100}
            onChange={(e) => setDisplayName(e.target.value)}
          />
        </label>
        <label className="block space-y-1">
          <span className="text-xs text-zinc-600">Description</span>
          <textarea
            className="w-full rounded-md border border-zinc-300 p-2 text-sm"
            rows={3}
            maxLength={1000}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </label>
        {update.error && <ErrorText error={update.error} />}
      </form>
    </Dialog>
  );
}
