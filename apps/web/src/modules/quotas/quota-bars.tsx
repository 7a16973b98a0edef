'use client';

/**
 * A project's usage against its quota, one row per kind: what is used, what this change would
 * add (striped), and the limit; red when the change would pass it. Reused by the create dialog,
 * the approval queue and the project's page (QuotaPanel).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import { btn } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

export const QUOTA_KINDS = ['Vms', 'Vcpus', 'MemoryMiB', 'DiskGiB', 'Snapshots'] as const;
export type QuotaKind = (typeof QUOTA_KINDS)[number];
export type QuotaFigures = Record<QuotaKind, number>;
export type QuotaLimits = Record<QuotaKind, number | null>;

/** What each quota kind is called on every page that shows one. */
export const QUOTA_LABELS: Record<QuotaKind, string> = {
  Vms: 'VMs',
  Vcpus: 'vCPUs',
  MemoryMiB: 'Memory MiB',
  DiskGiB: 'Disk GiB',
  Snapshots: 'Snapshots',
};

/** What each kind is called inside a sentence ("past its quota (VMs, memory)"). */
const QUOTA_WORDS: Record<QuotaKind, string> = {
  Vms: 'VMs',
  Vcpus: 'vCPUs',
  MemoryMiB: 'memory',
  DiskGiB: 'disk',
  Snapshots: 'snapshots',
};

/** "VMs, vCPUs, memory": the kinds in words, for a sentence. */
export function quotaKindsText(kinds: readonly QuotaKind[]): string {
  return kinds.map((k) => QUOTA_WORDS[k]).join(', ');
}

/** The kinds `adding` would take past their limit. */
export function overQuota(quota: QuotaLimits, used: QuotaFigures, adding: Partial<QuotaFigures>): QuotaKind[] {
  return QUOTA_KINDS.filter((k) => {
    const n = adding[k] ?? 0;
    const limit = quota[k];
    return n > 0 && limit !== null && used[k] + n > limit;
  });
}

/** A new VM's cost as the server counts it (services/quotas/policy.ts): blank and template disks, in whole GiB. */
export function vmCost(
  input: {
    vcpus: number;
    memoryMiB: number;
    disks?: readonly { source: { kind: string; sizeBytes?: number } }[];
  },
  templateDiskBytes = 0,
): QuotaFigures {
  // As the server counts it (services/quotas/policy.ts): blank disks and the template's, in whole GiB.
  const bytes = (input.disks ?? []).reduce(
    (s, d) => s + (d.source.kind === 'blank' ? (d.source.sizeBytes ?? 0) : 0),
    templateDiskBytes,
  );
  return {
    Vms: 1,
    Vcpus: input.vcpus,
    MemoryMiB: input.memoryMiB,
    DiskGiB: Math.ceil(bytes / 1024 ** 3),
    Snapshots: 0,
  };
}

export function QuotaBars({
  quota,
  used,
  adding,
  kinds = QUOTA_KINDS,
}: {
  quota: QuotaLimits;
  used: QuotaFigures;
  adding?: Partial<QuotaFigures>;
  kinds?: readonly QuotaKind[];
}) {
  return (
    <table className="w-full text-xs" data-testid="quota-bars">
      <tbody>
        {kinds.map((k) => {
          const limit = quota[k];
          const add = adding?.[k] ?? 0;
          // Red when this change passes the limit, or the project is past it already (an approval over quota).
          const over = limit !== null && used[k] + add > limit;
          const scale = Math.max(limit ?? 0, used[k] + add, 1);
          const pct = (n: number) => `${Math.min(100, (n / scale) * 100)}%`;
          return (
            <tr key={k} data-testid={`quota-${k}`} data-over={over ? 'true' : undefined}>
              <td className="w-24 py-0.5 pr-2 whitespace-nowrap text-zinc-600">{QUOTA_LABELS[k]}</td>
              <td className="min-w-16 py-0.5">
                {limit === null ? (
                  <span className="text-zinc-400">no limit</span>
                ) : (
                  <div className="relative h-2 w-full overflow-hidden rounded-full bg-zinc-200">
                    <div
                      className={`absolute inset-y-0 left-0 ${over ? 'bg-red-500' : 'bg-teal-600'}`}
                      style={{ width: pct(used[k]) }}
                    />
                    {add > 0 && (
                      <div
                        className={`absolute inset-y-0 ${over ? 'bg-red-300' : 'bg-teal-300'}`}
                        style={{ left: pct(used[k]), width: pct(add) }}
                      />
                    )}
                  </div>
                )}
              </td>
              <td
                data-testid="quota-figure"
                className={`w-28 py-0.5 pl-2 text-right whitespace-nowrap tabular-nums ${over ? 'font-medium text-red-700' : 'text-zinc-700'}`}
              >
                {used[k]}
                {add > 0 && <span className={over ? '' : 'text-teal-700'}>{` + ${add}`}</span>}
                {limit !== null && <span className="text-zinc-500">{` / ${limit}`}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * A project's quota panel (for the project page). Admins get the repair: recount the counters
 * from the project's VMs, disks and snapshots (drift after a crash).
 */
export function QuotaPanel({ projectId, title = 'Quota' }: { projectId: string; title?: string }) {
  const trpc = useTRPC();
  const client = useQueryClient();
  const { user } = useSession();
  const usage = useQuery(trpc.quota.usage.queryOptions({ projectId }));
  const recount = useMutation(
    trpc.quota.recount.mutationOptions({
      onSuccess: () => client.invalidateQueries({ queryKey: trpc.quota.usage.queryKey({ projectId }) }),
    }),
  );
  return (
    <section className="rounded-lg border border-zinc-200 bg-white p-3" data-testid="quota-panel">
      <h2 className="mb-2 flex items-center text-xs font-semibold tracking-wide text-zinc-600 uppercase">
        {title}
        {usage.data && <span className="ml-1 font-normal normal-case">— {usage.data.name}</span>}
        {user?.role === 'admin' && (
          <button
            type="button"
            data-testid="quota-recount"
            className={`${btn.ghost} ml-auto normal-case`}
            disabled={recount.isPending}
            title="Count the use again from the project's VMs, disks and snapshots"
            onClick={() => recount.mutate({ projectId })}
          >
            {recount.isPending ? 'Recounting…' : 'Recount'}
          </button>
        )}
      </h2>
      {usage.error && <ErrorText error={usage.error} />}
      <ErrorText error={recount.error} />
      {usage.data && <QuotaBars quota={usage.data.quota} used={usage.data.used} />}
    </section>
  );
}
