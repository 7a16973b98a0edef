'use client';

/**
 * VM requests (issue 10): the approver's queue (admins: every project; a project's owners:
 * theirs) with each request's cost and the project's usage, approve or reject with a note; and
 * the caller's own requests with their state and the approver's note.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatDateTime } from '../ui/format';
import { EmptyRow, PageHeader, td, th } from '../ui/page-header';
import { Pill, type Tone } from '../ui/status-pill';
import { QuotaBars, QuotaPanel } from './quota-bars';

type Item = RouterOutputs['vmRequest']['mine'][number];

const STATE_TONE: Record<Item['state'], Tone> = {
  pending: 'blue',
  approved: 'green',
  rejected: 'red',
  cancelled: 'grey',
};

function costText(item: Pick<Item, 'cost' | 'templateDiskUnknown'>): string {
  const c = item.cost;
  const disk = c.DiskGiB > 0 ? ` · ${c.DiskGiB} GiB` : '';
  // No host could read the template's disk now: say the figure leaves it out.
  return `${c.Vcpus} vCPU · ${c.MemoryMiB} MiB${disk}${item.templateDiskUnknown ? ' · template disk not counted (no host could read it)' : ''}`;
}

const REASON: Record<string, string> = { quota: 'over quota', restricted: 'restricted template' };
const reasonText = (r: string) =>
  r
    .split(',')
    .map((x) => REASON[x] ?? x)
    .join(', ');

export function RequestsView() {
  const trpc = useTRPC();
  const queue = useQuery(trpc.vmRequest.queue.queryOptions({}));
  const mine = useQuery(trpc.vmRequest.mine.queryOptions());
  const projects = useQuery(trpc.quota.projects.queryOptions());
  const submitted = useSearchParams()?.get('submitted');
  const showQueue = (queue.data?.length ?? 0) > 0;
  return (
    <>
      <PageHeader title="VM requests" />
      <div className="min-h-0 flex-1 space-y-4 overflow-auto bg-zinc-50 p-4">
        {submitted && (
          <p
            className="rounded-md border border-sky-200 bg-sky-50 px-3 py-2 text-sm text-sky-900"
            data-testid="request-submitted"
          >
            Your request was sent to the project’s approvers. It is listed below; you get its answer here.
          </p>
        )}
        {showQueue && (
          <section data-testid="approval-queue">
            <h2 className="mb-1.5 text-sm font-semibold text-zinc-800">Approval queue</h2>
            <div className="overflow-auto rounded-lg border border-zinc-200 bg-white">
              <table className="w-full text-sm">
                <thead>
                  <tr>
                    <th className={th}>VM asked for</th>
                    <th className={th}>Requester</th>
                    <th className={th}>Cost</th>
                    <th className={`${th} w-64`}>Project usage, with it</th>
                    <th className={th}>Decision</th>
                  </tr>
                </thead>
                <tbody>
                  {queue.data?.map((r) => (
                    <QueueRow key={r.id} item={r} />
                  ))}
                </tbody>
              </table>
            </div>
            <ErrorText error={queue.error} />
          </section>
        )}
        {(projects.data?.length ?? 0) > 0 && (
          <section data-testid="my-projects">
            <h2 className="mb-1.5 text-sm font-semibold text-zinc-800">My projects’ quotas</h2>
            <div className="grid gap-3 md:grid-cols-2 xl:grid-cols-3">
              {projects.data?.map((p) => (
                <QuotaPanel key={p.id} projectId={p.id} title="Project" />
              ))}
            </div>
          </section>
        )}
        <section data-testid="my-requests">
          <h2 className="mb-1.5 text-sm font-semibold text-zinc-800">My requests</h2>
          <div className="overflow-auto rounded-lg border border-zinc-200 bg-white">
            <table className="w-full text-sm">
              <thead>
                <tr>
                  <th className={th}>Requested</th>
                  <th className={th}>VM</th>
                  <th className={th}>Project</th>
                  <th className={th}>Cost</th>
                  <th className={th}>Why</th>
                  <th className={th}>State</th>
                  <th className={th}>Approver’s note</th>
                  <th className={th} />
                </tr>
              </thead>
              <tbody>
                {mine.data?.length === 0 && <EmptyRow colSpan={8}>You have no requests.</EmptyRow>}
                {mine.data?.map((r) => (
                  <MineRow key={r.id} item={r} />
                ))}
              </tbody>
            </table>
          </div>
          <ErrorText error={mine.error} />
        </section>
      </div>
    </>
  );
}

function useRefresh() {
  const trpc = useTRPC();
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: trpc.vmRequest.queue.queryKey() });
    void client.invalidateQueries({ queryKey: trpc.vmRequest.mine.queryKey() });
    void client.invalidateQueries({ queryKey: trpc.quota.projects.queryKey() });
    void client.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
  };
}

function QueueRow({ item }: { item: Item }) {
  const trpc = useTRPC();
  const refresh = useRefresh();
  const [note, setNote] = useState('');
  // Settled, not only succeeded: a failed approval puts the request back with its note.
  const approve = useMutation(trpc.vmRequest.approve.mutationOptions({ onSettled: refresh }));
  const reject = useMutation(trpc.vmRequest.reject.mutationOptions({ onSuccess: refresh }));
  const busy = approve.isPending || reject.isPending;
  return (
    <tr data-testid="queue-row" data-request={item.id} className="align-top">
      <td className="max-w-64 border-b border-zinc-100 px-3 py-1.5">
        <div className="font-mono">{item.vmName}</div>
        <div className="text-xs text-zinc-500">
          {`in ${item.projectName} · ${reasonText(item.reason)} · ${formatDateTime(item.createdAt)}`}
        </div>
      </td>
      <td className={td}>{item.requesterName}</td>
      <td className={`${td} tabular-nums`}>{costText(item)}</td>
      <td className="border-b border-zinc-100 px-3 py-1.5">
        {item.project && (
          <QuotaBars
            quota={item.project.quota}
            used={item.project.used}
            adding={item.state === 'pending' ? item.cost : undefined}
            kinds={['Vms', 'Vcpus', 'MemoryMiB', 'DiskGiB']}
          />
        )}
      </td>
      <td className="border-b border-zinc-100 px-3 py-1.5">
        {item.state === 'pending' ? (
          <div className="flex w-52 flex-col gap-1.5">
            {item.note && (
              // Set by a failed approval (the request went back to pending): the next approver sees why.
              <p className="text-xs text-amber-800" data-testid="queue-last-failure">
                {item.note}
              </p>
            )}
            <input
              data-testid="queue-note"
              className={inputClass}
              placeholder="Note for the requester"
              value={note}
              maxLength={1000}
              onChange={(e) => setNote(e.target.value)}
            />
            <div className="flex flex-wrap gap-1.5">
              {item.approveBlocked === null && (
                <button
                  type="button"
                  data-testid="queue-approve"
                  className={btn.primary}
                  disabled={busy}
                  onClick={() => approve.mutate({ id: item.id, note })}
                >
                  {item.overQuota ? 'Approve (over quota)' : 'Approve'}
                </button>
              )}
              <button
                type="button"
                data-testid="queue-reject"
                className={btn.danger}
                disabled={busy || note.trim() === ''}
                title={note.trim() === '' ? 'Write a note first: say why' : undefined}
                onClick={() => reject.mutate({ id: item.id, note })}
              >
                Reject
              </button>
            </div>
            {item.approveBlocked && (
              <p className="text-xs text-zinc-600" data-testid="queue-approve-blocked">
                {item.approveBlocked}
              </p>
            )}
            <ErrorText error={approve.error ?? reject.error} />
          </div>
        ) : (
          <div className="space-y-1">
            <Pill tone={STATE_TONE[item.state]} label={item.state} testId="request-state" />
            {item.approverName && <div className="text-xs text-zinc-500">by {item.approverName}</div>}
          </div>
        )}
      </td>
    </tr>
  );
}

function MineRow({ item }: { item: Item }) {
  const trpc = useTRPC();
  const refresh = useRefresh();
  const cancel = useMutation(trpc.vmRequest.cancel.mutationOptions({ onSuccess: refresh }));
  return (
    <tr data-testid="mine-row" data-request={item.id}>
      <td className={td}>{formatDateTime(item.createdAt)}</td>
      <td className={`${td} font-mono`}>
        {item.vmId ? (
          <Link href={`/vms/${item.vmId}`} className="text-teal-700 hover:underline" data-testid="request-vm-link">
            {item.vmName}
          </Link>
        ) : (
          item.vmName
        )}
      </td>
      <td className={td}>{item.projectName}</td>
      <td className={`${td} tabular-nums`}>{costText(item)}</td>
      <td className={td}>{reasonText(item.reason)}</td>
      <td className={td}>
        <Pill tone={STATE_TONE[item.state]} label={item.state} testId="request-state" />
      </td>
      <td className="min-w-56 border-b border-zinc-100 px-3 py-1.5 text-zinc-700" data-testid="request-note">
        {item.note}
        {item.approverName && <span className="text-xs text-zinc-500">{` — ${item.approverName}`}</span>}
      </td>
      <td className={td}>
        {item.state === 'pending' && (
          <button
            type="button"
            className={btn.ghost}
            disabled={cancel.isPending}
            onClick={() => cancel.mutate({ id: item.id })}
          >
            Cancel
          </button>
        )}
      </td>
    </tr>
  );
}
