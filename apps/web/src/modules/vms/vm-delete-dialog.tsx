'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';

/**
 * Delete confirmation that lists exactly what goes and what stays (vm.deletePlan), with the
 * choice to keep the VM's own volumes. The name must be typed, as for every destructive delete.
 */
export function VmDeleteDialog({
  vm,
  onCancel,
  onConfirm,
}: {
  vm: VmView;
  onCancel: () => void;
  onConfirm: (opts: { keepDisks: boolean }) => void;
}) {
  const trpc = useTRPC();
  const plan = useQuery(trpc.vm.deletePlan.queryOptions({ vmId: vm.id }));
  const [withDisks, setWithDisks] = useState(true);
  const disks = plan.data?.disks ?? [];
  const goes = [...(plan.data?.goes ?? []), ...(withDisks ? disks : [])];
  const stays = [...(withDisks ? [] : disks), ...(plan.data?.stays ?? [])];

  return (
    <ConfirmDialog
      title={`Delete ${vm.name}?`}
      confirmLabel={withDisks ? 'Delete VM and disks' : 'Delete VM, keep disks'}
      requireText={vm.name}
      testId="delete-dialog"
      onCancel={onCancel}
      onConfirm={() => onConfirm({ keepDisks: !withDisks })}
    >
      <div className="space-y-3 text-sm text-zinc-700">
        <p>The VM’s definition is removed from its host. This cannot be undone.</p>
        {plan.error && <ErrorText error={plan.error} />}
        {!plan.data && !plan.error && <p className="text-zinc-500">Reading what the VM uses…</p>}
        {disks.length > 0 && (
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              data-testid="delete-with-disks"
              checked={withDisks}
              onChange={(e) => setWithDisks(e.target.checked)}
            />
            Also delete its {disks.length === 1 ? 'disk' : `${disks.length} disks`}
          </label>
        )}
        {plan.data && (
          <div className="grid gap-3 sm:grid-cols-2">
            <ItemList title="Removed" testId="delete-goes" items={goes.map((i) => i.label)} tone="text-red-700" />
            <ItemList title="Kept" testId="delete-stays" items={stays.map((i) => i.label)} tone="text-zinc-700" />
          </div>
        )}
      </div>
    </ConfirmDialog>
  );
}

function ItemList({ title, items, tone, testId }: { title: string; items: string[]; tone: string; testId: string }) {
  return (
    <div>
      <h3 className="text-xs font-semibold tracking-wide text-zinc-500 uppercase">{title}</h3>
      <ul data-testid={testId} className={`mt-1 list-disc space-y-0.5 pl-4 text-xs break-all ${tone}`}>
        {items.length === 0 ? (
          <li className="list-none text-zinc-400">nothing</li>
        ) : (
          items.map((l) => <li key={l}>{l}</li>)
        )}
      </ul>
    </div>
  );
}
