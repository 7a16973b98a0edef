'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { useCan } from '../permissions/use-can';

type Policies = RouterOutputs['inventory']['clusterSettings'];
type Preview = RouterOutputs['balancer']['plan'];
type Mode = Policies['balancerMode'];

const MODE_HINT: Record<Mode, string> = {
  off: 'No periodic check; preview and apply by hand.',
  recommend: 'Checks every minute and records the moves it recommends; an admin applies them.',
  automatic: 'Checks every minute and applies its plan, at most the cap per run, then waits out the cooldown.',
};

const OUTCOME_CLASS: Record<string, string> = {
  moved: 'text-emerald-700',
  failed: 'text-red-700',
  moving: 'text-sky-700',
  skipped: 'text-zinc-500',
  waiting: 'text-zinc-500',
};

/** The cluster's load balancer: its settings, the what-if preview, apply with live progress. */
export function BalancePanel({ clusterId, clusterName }: { clusterId: string; clusterName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Anyone who sees the cluster previews; its managers change the settings, administrators apply.
  const managesCluster = useCan('manage', 'cluster', clusterId);
  const mayApply = useCan('manage', 'system', '');
  const settings = useQuery(trpc.inventory.clusterSettings.queryOptions({ clusterId }));
  const status = useQuery({
    ...trpc.balancer.status.queryOptions({ clusterId }),
    refetchInterval: (q) => (q.state.data?.runningTaskId ? 1000 : 10_000),
  });
  const runningTaskId = status.data?.runningTaskId ?? null;
  const task = useQuery({
    ...trpc.task.byId.queryOptions({ taskId: runningTaskId ?? '' }),
    enabled: Boolean(runningTaskId),
    refetchInterval: 1000,
  });
  const [preview, setPreview] = useState<Preview | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [form, setForm] = useState<Pick<
    Policies,
    'balancerMode' | 'balancerCooldownMinutes' | 'balancerMaxMoves' | 'balancerThreshold'
  > | null>(null);
  const p = settings.data;
  useEffect(() => {
    if (p && !form) setForm(p);
  }, [p, form]);

  const plan = useMutation({
    mutationFn: () => queryClient.fetchQuery({ ...trpc.balancer.plan.queryOptions({ clusterId }), staleTime: 0 }),
    onSuccess: (data) => setPreview(data),
  });
  const apply = useMutation(
    trpc.balancer.applyPlan.mutationOptions({
      onSuccess: () => {
        setPreview(null);
        void queryClient.invalidateQueries({ queryKey: trpc.balancer.status.queryKey({ clusterId }) });
      },
    }),
  );
  const save = useMutation(
    trpc.inventory.setClusterSettings.mutationOptions({
      onSuccess: (after) => queryClient.setQueryData(trpc.inventory.clusterSettings.queryKey({ clusterId }), after),
    }),
  );

  const dirty =
    form &&
    p &&
    (form.balancerMode !== p.balancerMode ||
      form.balancerCooldownMinutes !== p.balancerCooldownMinutes ||
      form.balancerMaxMoves !== p.balancerMaxMoves ||
      form.balancerThreshold !== p.balancerThreshold);
  const valid =
    form &&
    Number.isInteger(form.balancerCooldownMinutes) &&
    form.balancerCooldownMinutes >= 0 &&
    Number.isInteger(form.balancerMaxMoves) &&
    form.balancerMaxMoves >= 1 &&
    form.balancerMaxMoves <= 50 &&
    form.balancerThreshold >= 0.1 &&
    form.balancerThreshold <= 100;
  const latest = status.data?.report ?? null;
  const check = latest?.state === 'idle' ? latest : null;
  const report = status.data?.lastRun ?? null;
  const applicable = preview ? preview.moves.filter((m) => m.precheck.ok) : [];

  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="balance-panel">
      <div className="flex flex-wrap items-center gap-2 border-b border-zinc-100 px-3 py-2">
        <h3 className="text-sm font-semibold text-zinc-900">Balance</h3>
        <span className="text-xs text-zinc-500">
          Metric: spread of committed memory (standard deviation of each usable host’s committed %, in points)
        </span>
        <div className="ml-auto flex gap-2">
          <button
            type="button"
            className={btn.secondary}
            data-testid="balance-preview"
            disabled={plan.isPending || Boolean(runningTaskId)}
            onClick={() => plan.mutate()}
          >
            {plan.isPending ? 'Planning…' : 'Preview plan'}
          </button>
          {mayApply && (
            <button
              type="button"
              className={btn.primary}
              data-testid="balance-apply"
              disabled={!preview || applicable.length === 0 || apply.isPending || Boolean(runningTaskId)}
              onClick={() => setConfirming(true)}
            >
              Apply
            </button>
          )}
        </div>
      </div>

      {form && (
        <div className="grid grid-cols-2 gap-3 px-3 py-3 sm:grid-cols-5">
          <label className="text-xs text-zinc-600">
            Mode
            <select
              className={inputClass}
              data-testid="balance-mode"
              disabled={!managesCluster}
              value={form.balancerMode}
              onChange={(e) => setForm({ ...form, balancerMode: e.target.value as Mode })}
            >
              <option value="off">off</option>
              <option value="recommend">recommend only</option>
              <option value="automatic">automatic</option>
            </select>
          </label>
          <label className="text-xs text-zinc-600">
            Cooldown (minutes)
            <input
              type="number"
              min={0}
              className={inputClass}
              data-testid="balance-cooldown"
              disabled={!managesCluster}
              value={Number.isNaN(form.balancerCooldownMinutes) ? '' : form.balancerCooldownMinutes}
              onChange={(e) => setForm({ ...form, balancerCooldownMinutes: e.target.valueAsNumber })}
            />
          </label>
          <label className="text-xs text-zinc-600">
            Max moves per run
            <input
              type="number"
              min={1}
              max={50}
              className={inputClass}
              data-testid="balance-max-moves"
              disabled={!managesCluster}
              value={Number.isNaN(form.balancerMaxMoves) ? '' : form.balancerMaxMoves}
              onChange={(e) => setForm({ ...form, balancerMaxMoves: e.target.valueAsNumber })}
            />
          </label>
          <label className="text-xs text-zinc-600">
            Min. gain per move (points)
            <input
              type="number"
              min={0.1}
              step={0.1}
              className={inputClass}
              data-testid="balance-threshold"
              disabled={!managesCluster}
              value={Number.isNaN(form.balancerThreshold) ? '' : form.balancerThreshold}
              onChange={(e) => setForm({ ...form, balancerThreshold: e.target.valueAsNumber })}
            />
          </label>
          {managesCluster && (
            <div className="flex items-end">
              <button
                type="button"
                className={btn.secondary}
                data-testid="balance-save"
                disabled={!dirty || !valid || save.isPending}
                onClick={() => save.mutate({ clusterId, settings: form })}
              >
                {save.isPending ? 'Saving…' : 'Save'}
              </button>
            </div>
          )}
          <p className="col-span-full text-xs text-zinc-500">{MODE_HINT[form.balancerMode]}</p>
        </div>
      )}
      <div className="px-3">
        <ErrorText
          error={settings.error ?? status.error ?? plan.error ?? apply.error ?? save.error}
          testId="balance-error"
        />
      </div>

      {preview && (
        <div className="border-t border-zinc-100 px-3 py-3 text-sm" data-testid="balance-plan">
          <p className="text-zinc-800">
            Spread{' '}
            <span className="font-medium tabular-nums" data-testid="balance-spread">
              {preview.spreadBefore} → {preview.spreadAfter} pts
            </span>{' '}
            · {preview.moves.length} move(s) · {preview.summary}
          </p>
          {preview.skippedHosts.length > 0 && (
            <p className="text-xs text-zinc-500">
              Left out: {preview.skippedHosts.map((h) => `${h.hostName} (${h.reason})`).join(', ')}
            </p>
          )}
          <table className="mt-2 w-full text-left text-xs">
            <thead className="text-zinc-500">
              <tr>
                <th className="py-1 pr-2 font-medium">Host</th>
                <th className="py-1 pr-2 font-medium">Committed</th>
                <th className="py-1 pr-2 font-medium">CPU</th>
              </tr>
            </thead>
            <tbody>
              {preview.hosts.map((h) => (
                <tr key={h.hostId} className="border-t border-zinc-100">
                  <td className="py-1 pr-2">{h.hostName}</td>
                  <td className="py-1 pr-2 tabular-nums">
                    {h.committedPercent} % ({h.committedMiB} of {h.capacityMiB} MiB)
                  </td>
                  <td className="py-1 pr-2 tabular-nums">{Math.round(h.cpuUsagePercent)} %</td>
                </tr>
              ))}
            </tbody>
          </table>
          {preview.moves.length > 0 && (
            <ol className="mt-3 list-decimal space-y-1 pl-5">
              {preview.moves.map((m) => (
                <li key={m.vmId} data-testid="balance-move">
                  <span className="text-zinc-900">{m.explanation}</span>
                  {!m.precheck.ok && (
                    <span className="block text-xs text-red-700">Refused by the pre-checks: {m.precheck.reason}</span>
                  )}
                </li>
              ))}
            </ol>
          )}
        </div>
      )}

      {check && (
        <div className="border-t border-zinc-100 px-3 py-3 text-sm" data-testid="balance-check">
          <p className="text-zinc-800">
            Last {check.trigger} check at {new Date(check.at).toLocaleString()} (spread {check.spreadBefore} pts):{' '}
            {check.decision}
          </p>
          {check.moves.length > 0 && (
            <ul className="mt-1 list-disc space-y-0.5 pl-5 text-xs text-zinc-600">
              {check.moves.map((m) => (
                <li key={m.vmId}>{m.explanation}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {report && (
        <div className="border-t border-zinc-100 px-3 py-3 text-sm" data-testid="balance-report">
          <p className="text-zinc-800">
            Last {report.trigger === 'manual' ? `run by ${report.by}` : `${report.trigger} run`} at{' '}
            {new Date(report.at).toLocaleString()}: <span data-testid="balance-report-state">{report.state}</span>
            {report.spreadAfter !== null && (
              <span className="tabular-nums">
                {' '}
                · spread {report.spreadBefore} → {report.spreadAfter} pts (measured afresh)
              </span>
            )}
          </p>
          <p className="text-xs text-zinc-500">{report.decision}</p>
          {runningTaskId && task.data && (
            <div className="mt-2" data-testid="balance-progress">
              <div className="h-1.5 w-full rounded bg-zinc-100">
                <div className="h-1.5 rounded bg-teal-600" style={{ width: `${task.data.progress}%` }} />
              </div>
              <p className="mt-1 text-xs text-zinc-600">{task.data.message}</p>
            </div>
          )}
          {report.moves.length > 0 && (
            <ul className="mt-2 space-y-1 text-xs">
              {report.moves.map((m) => (
                <li key={m.vmId} data-testid="balance-outcome">
                  <span className={`font-medium ${OUTCOME_CLASS[m.status] ?? ''}`}>{m.status}</span> · {m.explanation}
                  {m.message && m.status !== 'waiting' && <span className="text-zinc-500"> — {m.message}</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      {confirming && preview && (
        <ConfirmDialog
          title={`Apply the plan to cluster ${clusterName}?`}
          confirmLabel={`Migrate ${applicable.length} VM(s)`}
          danger={false}
          testId="balance-confirm"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            apply.mutate({
              clusterId,
              moves: applicable.map((m) => ({ vmId: m.vmId, fromHostId: m.fromHostId, toHostId: m.toHostId })),
            });
          }}
        >
          <p>
            {applicable.length} running VM(s) will be live-migrated one at a time. If a VM moved since the preview, the
            plan is refused and you preview again.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
