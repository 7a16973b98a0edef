/**
 * Applies one `live.onStats` batch to the cached VM list and VM details: only the CPU % of the
 * VMs in the batch changes, nothing is refetched. Rows whose value did not change keep their
 * identity, so memoised rows skip re-rendering.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { useTRPC } from '@/trpc/client';
import type { StatsBatch, VmView } from '@/trpc/types';

type Trpc = ReturnType<typeof useTRPC>;

function withCpu(vm: VmView, cpu: ReadonlyMap<string, number | null>): VmView {
  const next = cpu.get(vm.id);
  if (next === undefined || next === vm.cpuUsagePercent) return vm;
  return { ...vm, cpuUsagePercent: next };
}

export function applyStatsBatch(queryClient: QueryClient, trpc: Trpc, batch: StatsBatch): void {
  const cpu = new Map(batch.cpu.map((c) => [c.vmId, c.cpuUsagePercent]));
  queryClient.setQueryData(trpc.vm.list.queryKey(), (list) => {
    if (!list) return list;
    const next = list.map((vm) => withCpu(vm, cpu));
    return next.some((vm, i) => vm !== list[i]) ? next : list;
  });
  for (const vmId of cpu.keys()) {
    queryClient.setQueryData(trpc.vm.byId.queryKey({ vmId }), (vm) => vm && withCpu(vm, cpu));
  }
}
