'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { HostView, RouterOutputs } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { Pill } from '../ui/status-pill';

type ReportItem = RouterOutputs['host']['maintenance']['items'][number];

/** The host's maintenance state as a badge; nothing for a host in normal use. */
export function MaintenanceBadge({ host }: { host: Pick<HostView, 'maintenance' | 'maintenanceBy'> }) {
  if (host.maintenance === 'none') return null;
  const entering = host.maintenance === 'entering';
  return (
    <Pill
      tone={entering ? 'blue' : 'amber'}
      label={entering ? 'entering maintenance' : 'maintenance'}
      testId="maintenance-badge"
      title={`${entering ? 'Its VMs are being moved away' : 'Takes no VMs'}${host.maintenanceBy ? ` (set by ${host.maintenanceBy})` : ''}`}
    />
  );
}

function useMaintenanceMutations(hostId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.host.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.host.maintenance.queryKey({ hostId }) }),
    ]);
  const enter = useMutation(trpc.host.enterMaintenance.mutationOptions({ onSettled: refresh }));
  const exit = useMutation(trpc.host.exitMaintenance.mutationOptions({ onSettled: refresh }));
  const cancel = useMutation(trpc.host.cancelMaintenance.mutationOptions({ onSettled: refresh }));
  return { enter, exit, cancel };
}

/**
 * Header buttons: "Enter maintenance" (with a dry run to confirm), "Cancel maintenance" while
 * entering (no further VM is moved; the one migrating finishes), or "Exit maintenance".
 */
export function MaintenanceActions({ host }: { host: HostView }) {
  const { enter, exit, cancel } = useMaintenanceMutations(host.id);
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      {host.maintenance === 'none' ? (
        <button
          type="button"
          className={btn.secondary}
          data-testid="enter-maintenance"
          disabled={enter.isPending}
          onClick={() => setConfirming(true)}
        >
          Enter maintenance
        </button>
      ) : host.maintenance === 'entering' ? (
        <button
          type="button"
          className={btn.secondary}
          data-testid="cancel-maintenance"
          disabled={cancel.isPending}
          title="Move no further VM off this host (a migration under way finishes) and return it to normal use"
          onClick={() => cancel.mutate({ hostId: host.id })}
        >
          {cancel.isPending ? 'Cancelling…' : 'Cancel maintenance'}
        </button>
      ) : (
        <button
          type="button"
          className={btn.secondary}
          data-testid="exit-maintenance"
          disabled={exit.isPending}
          onClick={() => exit.mutate({ hostId: host.id })}
        >
          {exit.isPending ? 'Exiting…' : 'Exit maintenance'}
        </button>
      )}
      {(enter.error || exit.error || cancel.error) && <ErrorText error={enter.error ?? exit.error ?? cancel.error} />}
      {confirming && (
        <EnterDialog
          host={host}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            enter.mutate({ hostId: host.id });
          }}
        />
      )}
    </>
  );
}

const ACTION_WORDS = { live: 'live migration', cold: 'moved stopped', blocked: 'cannot move' } as const;

function EnterDialog({ host, onCancel, onConfirm }: { host: HostView; onCancel: () => void; onConfirm: () => void }) {
  const trpc = useTRPC();
  const plan = useQuery({ ...trpc.host.maintenancePlan.queryOptions({ hostId: host.id }), staleTime: 0, gcTime: 0 });
  const blocked = plan.data?.filter((p) => p.action === 'blocked') ?? [];
  return (
    <ConfirmDialog
      title={`Enter maintenance on ${host.name}?`}
      confirmLabel="Enter maintenance"
      danger={false}
      testId="maintenance-dialog"
      onCancel={onCancel}
      onConfirm={onConfirm}
    >
      <div className="space-y-3 text-sm">
        <p>
          No new VM is placed on {host.name} from now on, and every VM on it is moved to another host of cluster{' '}
          {host.clusterName}: running ones by live migration, stopped ones as they are. When nothing runs there any
          more, the host is in maintenance.
        </p>
        {plan.error && <ErrorText error={plan.error} />}
        {plan.isPending && <p className="text-zinc-500">Working out where each VM would go…</p>}
        {plan.data && plan.data.length === 0 && <p className="text-zinc-600">No VM is on this host.</p>}
        {plan.data && plan.data.length > 0 && (
          <ul className="divide-y divide-zinc-100 rounded-md border border-zinc-200" data-testid="maintenance-plan">
            {plan.data.map((p) => (
              <li
                key={p.vmId}
                className="flex items-baseline justify-between gap-3 px-2.5 py-1.5"
                data-testid="maintenance-plan-item"
                data-vm={p.vmName}
                data-action={p.action}
              >
                <span className="min-w-0 truncate font-medium text-zinc-900">{p.vmName}</span>
                <span className={`text-right text-xs ${p.action === 'blocked' ? 'text-red-700' : 'text-zinc-600'}`}>
                  {p.target ? (
                    <>
                      → <span className="font-medium text-zinc-900">{p.target.name}</span> ({ACTION_WORDS[p.action]})
                    </>
                  ) : (
                    `${ACTION_WORDS.blocked}: ${p.reason}`
                  )}
                </span>
              </li>
            ))}
          </ul>
        )}
        {plan.data && plan.data.length > 0 && (
          <p className="text-xs text-zinc-500">
            Each target is chosen again when its move starts, so load changes meanwhile may send a VM elsewhere.
          </p>
        )}
        {blocked.length > 0 && (
          <p className="text-amber-800">
            {blocked.length} VM(s) cannot move now: the host will stay “entering maintenance” until you decide what
            happens to them.
          </p>
        )}
      </div>
    </ConfirmDialog>
  );
}

const STATUS_WORDS: Record<ReportItem['status'], string> = {
  waiting: 'waiting',
  stopping: 'stopping',
  moving: 'moving',
  moved: 'moved',
  blocked: 'cannot move',
  left: 'left stopped here',
  cancelled: 'not moved (cancelled)',
};

const STATUS_CLASS: Record<ReportItem['status'], string> = {
  waiting: 'text-zinc-500',
  stopping: 'text-sky-700',
  moving: 'text-sky-700',
  moved: 'text-emerald-700',
  blocked: 'text-red-700',
  left: 'text-amber-800',
  cancelled: 'text-zinc-500',
};

/**
 * The maintenance job's per-VM progress (live while it runs) and, when VMs could not move, the
 * admin's choices. Shown while the host is entering or in maintenance, or has a job on record.
 */
export function MaintenancePanel({ host }: { host: HostView }) {
  const trpc = useTRPC();
  const status = useQuery({
    ...trpc.host.maintenance.queryOptions({ hostId: host.id }),
    refetchInterval: (q) =>
      q.state.data?.state === 'entering' || host.maintenance === 'entering' || q.state.data?.job?.state === 'running'
        ? 1500
        : false,
  });
  const { enter } = useMaintenanceMutations(host.id);
  const [forcing, setForcing] = useState(false);
  const data = status.data;
  if (!data || host.maintenance === 'none') return null;
  const job = data.job;
  const running = job?.state === 'queued' || job?.state === 'running';
  const stuck = data.state === 'entering' && !running;
  const active = data.vmsOnHost.filter((v) => v.state !== 'shutoff');
  return (
    <section
      className="rounded-lg border border-zinc-200 bg-white shadow-xs"
      aria-label="Maintenance"
      data-testid="maintenance-panel"
      data-state={data.state}
    >
      <h2 className="border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        Maintenance
      </h2>
      <div className="space-y-3 p-3 text-sm">
        <p className="text-zinc-700" data-testid="maintenance-summary">
          {data.state === 'maintenance'
            ? `In maintenance${data.by ? ` (by ${data.by})` : ''}: placement and migrations keep off this host.${active.length > 0 ? ` ${active.length} VM(s) were left running on it.` : ''}`
            : running
              ? `Moving VMs away${job?.message ? `: ${job.message}` : '…'}`
              : 'Entering maintenance, but VMs still run here.'}
        </p>
        {data.items.length > 0 && (
          <ul className="divide-y divide-zinc-100 rounded-md border border-zinc-200" data-testid="maintenance-report">
            {data.items.map((i) => (
              <li
                key={i.vmId}
                className="grid grid-cols-[minmax(8rem,12rem)_8rem_1fr] gap-3 px-2.5 py-1.5"
                data-testid="maintenance-item"
                data-vm={i.vmName}
                data-status={i.status}
              >
                <Link href={`/vms/${i.vmId}`} className="truncate font-medium text-zinc-900 hover:underline">
                  {i.vmName}
                </Link>
                <span className={`text-xs font-medium ${STATUS_CLASS[i.status]}`}>
                  {STATUS_WORDS[i.status]}
                  {i.target && (i.status === 'moving' || i.status === 'moved') ? ` → ${i.target}` : ''}
                </span>
                <span className="min-w-0 text-xs text-zinc-600">{i.reason}</span>
              </li>
            ))}
          </ul>
        )}
        {stuck && job?.state === 'failed' && (
          <p className="text-xs text-red-700" data-testid="maintenance-error">
            {job.errorMessage}
          </p>
        )}
        {stuck && (
          <div className="flex flex-wrap items-center gap-2" data-testid="maintenance-choices">
            <button
              type="button"
              className={btn.secondary}
              disabled={enter.isPending}
              data-testid="maintenance-retry"
              onClick={() => enter.mutate({ hostId: host.id })}
            >
              Retry
            </button>
            <button
              type="button"
              className={btn.secondary}
              disabled={enter.isPending}
              data-testid="maintenance-stop"
              title="Shut the VMs that cannot move down, then move them stopped (or leave them stopped here)"
              onClick={() => enter.mutate({ hostId: host.id, stopBlocked: true })}
            >
              Stop those VMs and continue
            </button>
            <button
              type="button"
              className={btn.danger}
              disabled={enter.isPending}
              data-testid="maintenance-force"
              onClick={() => setForcing(true)}
            >
              Force maintenance
            </button>
          </div>
        )}
        {enter.error && <ErrorText error={enter.error} />}
      </div>
      {forcing && (
        <ConfirmDialog
          title={`Force maintenance on ${host.name}?`}
          confirmLabel="Force maintenance"
          testId="maintenance-force-dialog"
          onCancel={() => setForcing(false)}
          onConfirm={() => {
            setForcing(false);
            enter.mutate({ hostId: host.id, force: true });
          }}
        >
          <p>
            The host is marked in maintenance with {active.map((v) => v.name).join(', ') || 'its VMs'} still on it. They
            keep running there; no VM is placed on or migrated to the host until maintenance ends, and they stop if the
            host is shut down.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
