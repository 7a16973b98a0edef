'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

type Row = { vmId: string; vmName: string; outcome: 'restart' | 'not' | 'none'; where: string; why: string };

const OUTCOME = {
  restart: { label: 'restarts', cls: 'text-emerald-700' },
  not: { label: 'not restarted', cls: 'text-red-700' },
  none: { label: 'no HA: stays down', cls: 'text-zinc-500' },
} as const;

/**
 * "What if this host fails now?": the manager runs the real HA decision step on the cluster as it
 * is, with this host dead, and shows which VMs would restart where and why, which would not and
 * why, and which have no HA. Asked on demand (a button): it reads the whole cluster.
 */
export function HaWhatIfPanel({ hostId }: { hostId: string }) {
  const trpc = useTRPC();
  const [asked, setAsked] = useState(false);
  const whatIf = useQuery({
    ...trpc.ha.whatIf.queryOptions({ hostId }),
    enabled: asked,
    staleTime: 0,
    gcTime: 0,
  });
  const data = whatIf.data;
  const rows: Row[] = data
    ? [
        ...data.restarts.map((r) => ({
          vmId: r.vmId,
          vmName: r.vmName,
          outcome: 'restart' as const,
          where: r.toHostName,
          why: r.why,
        })),
        ...data.notRestarted.map((r) => ({
          vmId: r.vmId,
          vmName: r.vmName,
          outcome: 'not' as const,
          where: '—',
          why: r.reason,
        })),
        ...data.notProtected.map((r) => ({
          vmId: r.vmId,
          vmName: r.vmName,
          outcome: 'none' as const,
          where: '—',
          why: 'HA is off for this VM',
        })),
      ]
    : [];
  return (
    <section
      className="rounded-lg border border-zinc-200 bg-white shadow-xs"
      aria-label="High availability"
      data-testid="ha-what-if"
    >
      <div className="flex items-center justify-between gap-3 border-b border-zinc-100 px-3 py-2">
        <h2 className="text-xs font-semibold tracking-wide text-zinc-500 uppercase">High availability</h2>
        <button
          type="button"
          className={btn.secondary}
          data-testid="ha-what-if-button"
          disabled={whatIf.isFetching}
          onClick={() => (asked ? whatIf.refetch() : setAsked(true))}
        >
          {whatIf.isFetching ? 'Working it out…' : 'What if this host fails now?'}
        </button>
      </div>
      <div className="space-y-3 p-3 text-sm">
        {!asked && (
          <p className="text-zinc-600">
            See which VMs would be restarted on which hosts if this host died now, which would not and why, using the
            same decision code as the HA monitor.
          </p>
        )}
        {whatIf.error && <ErrorText error={whatIf.error} />}
        {data && (
          <>
            {data.recovery && (
              <p className="text-zinc-700" data-testid="ha-what-if-recovery">
                {data.recovery}
              </p>
            )}
            <p className="text-zinc-700" data-testid="ha-what-if-summary">
              {rows.length === 0
                ? `No VM runs on ${data.hostName}: nothing would need restarting.`
                : `${data.restarts.length} VM(s) would restart elsewhere, ${data.notRestarted.length} would not, ${data.notProtected.length} without HA would stay down.`}
            </p>
            {rows.length > 0 && (
              <table className="w-full table-fixed border-collapse text-left" data-testid="ha-what-if-table">
                <thead>
                  <tr className="border-b border-zinc-200 text-xs text-zinc-500">
                    <th className="w-48 px-2 py-1.5 font-medium">VM</th>
                    <th className="w-36 px-2 py-1.5 font-medium">Outcome</th>
                    <th className="w-32 px-2 py-1.5 font-medium">Restarts on</th>
                    <th className="px-2 py-1.5 font-medium">Why</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-zinc-100">
                  {rows.map((r) => (
                    <tr key={r.vmId} data-testid="ha-what-if-row" data-vm={r.vmName} data-outcome={r.outcome}>
                      <td className="truncate px-2 py-1.5">
                        <Link href={`/vms/${r.vmId}`} className="font-medium text-zinc-900 hover:underline">
                          {r.vmName}
                        </Link>
                      </td>
                      <td className={`px-2 py-1.5 text-xs font-medium ${OUTCOME[r.outcome].cls}`}>
                        {OUTCOME[r.outcome].label}
                      </td>
                      <td className="truncate px-2 py-1.5 text-zinc-900" data-testid="ha-what-if-target">
                        {r.where}
                      </td>
                      <td className="px-2 py-1.5 text-xs break-words text-zinc-600">{r.why}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </div>
    </section>
  );
}
