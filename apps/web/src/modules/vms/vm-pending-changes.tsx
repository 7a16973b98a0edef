'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTRPC } from '@/trpc/client';

/**
 * Changes made to a running VM that wait for its next start (libvirt keeps the running domain
 * apart from its definition; a reboot keeps the same figures). Nothing when there are none.
 */
export function VmPendingChanges({ vmId, version }: { vmId: string; version: string }) {
  const trpc = useTRPC();
  // Polled: an edit's task ends after the mutation returns, and the VM record does not change.
  const pending = useQuery({ ...trpc.vm.pendingChanges.queryOptions({ vmId }), refetchInterval: 5000 });
  const { refetch } = pending;
  useEffect(() => {
    if (version) void refetch();
  }, [version, refetch]);
  const changes = pending.data?.changes ?? [];
  if (changes.length === 0) return null;
  return (
    <div className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm" data-testid="vm-pending">
      <p className="font-medium text-amber-900">Pending changes: apply at next restart (shut down, then start)</p>
      <ul className="mt-1 space-y-0.5 text-xs text-amber-900">
        {changes.map((c) => (
          <li key={c.what} data-testid="vm-pending-row">
            {c.what}: {c.now} → <span className="font-semibold">{c.next}</span>
          </li>
        ))}
      </ul>
      <p className="mt-1 text-xs text-amber-800">
        vCPUs and memory within the running maximums are applied live when edited; a maximum, or more than it, waits.
      </p>
    </div>
  );
}
