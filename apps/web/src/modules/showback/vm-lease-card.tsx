'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatDateTime } from '../ui/format';

const DAY = 86_400_000;

/** "in 3 d 4 h" / "2 h ago", counted from the manager's lease clock. */
function relative(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  const a = Math.abs(ms);
  const text =
    a >= DAY
      ? `${Math.floor(a / DAY)} d ${Math.floor((a % DAY) / 3600_000)} h`
      : a >= 3600_000
        ? `${Math.floor(a / 3600_000)} h`
        : `${Math.max(1, Math.floor(a / 60_000))} min`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/**
 * The VM's lease (issue 10): when it expires, when its owner is reminded and when it is deleted,
 * and an Extend control that offers only what the project's policy allows. Shown only for a VM
 * with a lease, or to admins (who may set one).
 */
export function VmLeaseCard({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { user } = useSession();
  const lease = useQuery(trpc.vm.lease.queryOptions({ vmId }));
  const [days, setDays] = useState(7);
  const onSuccess = (data: typeof lease.data) => qc.setQueryData(trpc.vm.lease.queryKey({ vmId }), data);
  const extend = useMutation(trpc.vm.extendLease.mutationOptions({ onSuccess }));
  const l = lease.data;
  if (!l || (!l.expiresAt && user?.role !== 'admin')) return null;
  const now = Date.parse(l.now);
  const base = Math.max(now, l.expiresAt ? Date.parse(l.expiresAt) : 0);
  // The most whole days an extension may add now (null: no limit).
  const maxDays = l.latestExpiry ? Math.floor((Date.parse(l.latestExpiry) - base) / DAY) : null;
  const expired = l.expiresAt !== null && Date.parse(l.expiresAt) <= now;

  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="vm-lease">
      <h2 className="border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        Lease
      </h2>
      <div className="space-y-2 p-3 text-sm">
        {l.expiresAt ? (
          <dl className="grid grid-cols-[7rem_1fr] gap-x-3 gap-y-1">
            <dt className="text-zinc-500">{expired ? 'Expired' : 'Expires'}</dt>
            <dd data-testid="lease-expires" className={expired ? 'font-medium text-red-700' : 'text-zinc-900'}>
              {formatDateTime(l.expiresAt)} <span className="text-zinc-500">({relative(l.expiresAt, now)})</span>
            </dd>
            {l.remindsAt && !expired && (
              <>
                <dt className="text-zinc-500">Reminder</dt>
                <dd className="text-zinc-700">
                  {l.remindedAt ? `sent ${formatDateTime(l.remindedAt)}` : formatDateTime(l.remindsAt)}
                </dd>
              </>
            )}
            {l.deletesAt && (
              <>
                <dt className="text-zinc-500">Deleted at</dt>
                <dd className="text-zinc-700" data-testid="lease-deletes">
                  {formatDateTime(l.deletesAt)} <span className="text-zinc-500">(with its disks)</span>
                </dd>
              </>
            )}
            {l.stoppedAt && (
              <>
                <dt className="text-zinc-500">Stopped</dt>
                <dd className="text-zinc-700">{formatDateTime(l.stoppedAt)} (lease expired)</dd>
              </>
            )}
          </dl>
        ) : (
          <p className="text-zinc-500">No lease: this VM does not expire.</p>
        )}
        {l.expiresAt && (
          <form
            className="flex flex-wrap items-center gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              extend.mutate({ vmId, days });
            }}
          >
            <label className="flex items-center gap-2 whitespace-nowrap text-zinc-600">
              Extend by
              <input
                type="number"
                data-testid="lease-days"
                min={1}
                max={maxDays ?? 3650}
                className={`${inputClass} w-20`}
                value={days}
                onChange={(e) => setDays(Math.max(1, Math.trunc(Number(e.target.value) || 1)))}
              />
              days
            </label>
            <button
              type="submit"
              data-testid="lease-extend"
              className={btn.secondary}
              disabled={extend.isPending || (maxDays !== null && (maxDays < 1 || days > maxDays))}
            >
              Extend
            </button>
            <span className="text-xs text-zinc-500" data-testid="lease-limit">
              {maxDays === null
                ? 'No limit'
                : maxDays < 1
                  ? 'At the policy’s limit'
                  : `At most ${maxDays} day${maxDays === 1 ? '' : 's'} (until ${formatDateTime(l.latestExpiry)})`}
            </span>
          </form>
        )}
        <ErrorText error={extend.error} />
      </div>
    </section>
  );
}
