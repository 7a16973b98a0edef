'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';

/**
 * The VM's free-text description on its page. Polled: an edit's task ends after the mutation
 * returns, and a description alone does not change the VM record the page follows.
 */
export function VmDescription({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.vm.description.queryOptions({ vmId }), refetchInterval: 5000 });
  const text = q.data?.description ?? '';
  if (!text) return <span className="text-zinc-400">—</span>;
  return (
    <span data-testid="vm-description" className="whitespace-pre-wrap break-words">
      {text}
    </span>
  );
}
