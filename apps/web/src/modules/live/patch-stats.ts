/**
 * Applies one stats batch to the cached VM list blocks and VM details: only the CPU % of the
 * VMs in the batch changes, nothing is refetched. Rows whose value did not change keep their
 * identity, so memoised rows skip re-rendering.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { useTRPC } from '@/trpc/client';
import type { StatsBatch, VmView } from '@/trpc/types';
import { mapListRows } from './vm-list-cache';

type Trpc = ReturnType<typeof useTRPC>;

function withCpu(vm: VmView, cpu: ReadonlyMap<string, number | null>): VmView {
  const next = cpu.get(vm.id);
  if (next === undefined || next === vm.cpuUsagePercent) return vm;
  return { ...vm, cpuUsagePercent: next };
}

export function applyStatsBatch(queryClient: QueryClient, trpc: Trpc, batch: StatsBatch): void {
  const cpu = new Map(batch.cpu.map((c) => [c.vmId, c.cpuUsagePercent]));
  mapListRows(queryClient, trpc, (vm) => withCpu(vm, cpu));
  for (const vmId of cpu.keys()) {
    queryClient.setQueryData(trpc.vm.byId.queryKey({ vmId }), (vm) => vm && withCpu(vm, cpu));
  }
}
