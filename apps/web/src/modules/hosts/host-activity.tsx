'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/trpc/client';
import type { VmState } from '@/trpc/types';
import { ErrorText } from '../ui/error-text';
import { VmStatePill } from '../ui/status-pill';
import { EventsSection, TasksSection } from '../vms/vm-activity-tab';

/**
 * A host's VMs (compact: name and state, linked), then its tasks and events as a VM's
 * "Tasks & events" tab shows them. All stay live: VM and host changes refetch the VM list,
 * task and event changes are patched in (live/patch-cache.ts).
 */
export function HostActivity({ hostId, vmCount }: { hostId: string; vmCount: number }) {
  const trpc = useTRPC();
  const tasks = useQuery(trpc.task.listForHost.queryOptions({ hostId }));
  const events = useQuery(trpc.event.listForHost.queryOptions({ hostId }));
  return (
    <>
      <HostVms hostId={hostId} vmCount={vmCount} />
      <TasksSection
        tasks={tasks}
        testId="host-activity-tasks"
        rowTestId="host-task-row"
        empty="No tasks on this host yet."
      />
      <EventsSection
        events={events}
        testId="host-activity-events"
        rowTestId="host-event-row"
        empty="No events for this host yet."
      />
    </>
  );
}

function HostVms({ hostId, vmCount }: { hostId: string; vmCount: number }) {
  const trpc = useTRPC();
  const vms = useQuery(trpc.inventory.hostVms.queryOptions({ hostId }));
  const shown = vms.data?.length ?? 0;
  return (
    <section
      data-testid="host-vms"
      aria-label="Virtual machines"
      className="overflow-hidden rounded-lg border border-zinc-200 bg-white shadow-xs"
    >
      <h2 className="border-b border-zinc-200 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        {`Virtual machines (${vmCount})`}
      </h2>
      {vms.error ? (
        <div className="p-3">
          <ErrorText error={vms.error} />
        </div>
      ) : null}
      <ul className="grid max-h-72 grid-cols-1 overflow-auto text-sm sm:grid-cols-2 lg:grid-cols-3">
        {vms.data?.map((vm) => (
          <li
            key={vm.id}
            data-testid="host-vm-row"
            data-name={vm.name}
            className="flex items-center gap-2 border-b border-zinc-100 px-3 py-1.5"
          >
            <Link href={`/vms/${vm.id}`} className="min-w-0 truncate text-teal-700 hover:underline">
              {vm.name}
            </Link>
            <span className="ml-auto">
              <VmStatePill state={vm.state as VmState} />
            </span>
          </li>
        ))}
      </ul>
      {vms.isPending && <p className="px-3 py-4 text-center text-sm text-zinc-500">Loading VMs…</p>}
      {vms.data?.length === 0 && <p className="px-3 py-4 text-center text-sm text-zinc-500">No VMs on this host.</p>}
      {vmCount > shown && shown > 0 && (
        <p className="px-3 py-2 text-xs text-zinc-500">{`The first ${shown} by name; the VMs page lists them all.`}</p>
      )}
    </section>
  );
}
