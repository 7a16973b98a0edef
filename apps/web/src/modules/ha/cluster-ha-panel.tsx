'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { useCan } from '../permissions/use-can';

type Settings = Omit<
  RouterOutputs['haSettings']['cluster'],
  'clusterId' | 'clusterName' | 'hostCount' | 'monitorBy' | 'monitorAt'
>;
type Report = RouterOutputs['haSettings']['admission'];

const FIELDS: { key: keyof Omit<Settings, 'admission'>; label: string; hint: string; min: number; max: number }[] = [
  { key: 'hostDownAfterS', label: 'Host down after (s)', hint: 'agent disconnected this long', min: 5, max: 600 },
  {
    key: 'heartbeatStaleAfterS',
    label: 'Heartbeat stale after (s)',
    hint: 'no peer saw its storage heartbeat change',
    min: 4,
    max: 600,
  },
  { key: 'heartbeatIntervalS', label: 'Heartbeat every (s)', hint: 'each agent writes its file', min: 1, max: 60 },
  {
    key: 'selfFenceAfterS',
    label: 'Self-fence after (s)',
    hint: 'own writes failing: its HA VMs are forced off',
    min: 4,
    max: 600,
  },
  { key: 'reserveHostFailures', label: 'Reserve for host failures', hint: 'admission control', min: 0, max: 8 },
];

/** A cluster's HA timeouts and admission control, with the admission report (inventory cluster panel). */
export function ClusterHaPanel({ clusterId }: { clusterId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // The timeouts are the administrators' (haSettings.updateCluster): others read them.
  const editable = useCan('manage', 'system', '');
  const settings = useQuery(trpc.haSettings.cluster.queryOptions({ clusterId }));
  const report = useQuery(trpc.haSettings.admission.queryOptions({ clusterId }));
  const [form, setForm] = useState<Settings | null>(null);
  const s = settings.data;
  useEffect(() => {
    if (s) setForm(s);
  }, [s]);
  const save = useMutation(
    trpc.haSettings.updateCluster.mutationOptions({
      onSuccess: (r) => {
        qc.setQueryData(trpc.haSettings.cluster.queryKey({ clusterId }), r.settings);
        qc.setQueryData(trpc.haSettings.admission.queryKey({ clusterId }), r.admission);
      },
    }),
  );
  const dirty = form && s && (Object.keys(form) as (keyof Settings)[]).some((k) => form[k] !== s[k]);
  const valid =
    form && FIELDS.every((f) => Number.isInteger(form[f.key]) && form[f.key] >= f.min && form[f.key] <= f.max);

  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="cluster-ha-panel">
      <div className="flex flex-wrap items-center gap-2 border-b border-zinc-100 px-3 py-2">
        <h3 className="text-sm font-semibold text-zinc-900">High availability</h3>
        <span className="text-xs text-zinc-500">
          A host is dead when its agent is gone and its storage heartbeat stopped; it is fenced, then its HA VMs restart
          elsewhere.
        </span>
        {s?.monitorBy && (
          <span className="ml-auto text-xs text-zinc-500" data-testid="cluster-ha-monitor">
            monitor: {s.monitorBy}
          </span>
        )}
      </div>
      {form && (
        <form
          className="grid grid-cols-2 items-end gap-3 px-3 py-3 sm:grid-cols-3 lg:grid-cols-7"
          onSubmit={(e) => {
            e.preventDefault();
            if (form) save.mutate({ clusterId, ...form });
          }}
        >
          {FIELDS.map((f) => (
            <label key={f.key} className="text-xs text-zinc-600" title={f.hint}>
              {f.label}
              <input
                type="number"
                min={f.min}
                max={f.max}
                className={inputClass}
                data-testid={`cluster-ha-${f.key}`}
                disabled={!editable}
                aria-invalid={!(Number.isInteger(form[f.key]) && form[f.key] >= f.min && form[f.key] <= f.max)}
                value={Number.isNaN(form[f.key]) ? '' : form[f.key]}
                onChange={(e) => setForm({ ...form, [f.key]: e.target.valueAsNumber })}
              />
            </label>
          ))}
          <label className="text-xs text-zinc-600">
            If an HA VM would not fit
            <select
              className={inputClass}
              data-testid="cluster-ha-admission"
              disabled={!editable}
              value={form.admission}
              onChange={(e) => setForm({ ...form, admission: e.target.value === 'refuse' ? 'refuse' : 'warn' })}
            >
              <option value="warn">warn</option>
              <option value="refuse">refuse</option>
            </select>
          </label>
          {editable && (
            <div className="flex items-end">
              <button
                type="submit"
                className={btn.secondary}
                data-testid="cluster-ha-save"
                disabled={!dirty || !valid || save.isPending}
              >
                {save.isPending ? 'Saving…' : 'Save'}
              </button>
            </div>
          )}
        </form>
      )}
      <div className="px-3">
        <ErrorText error={settings.error ?? save.error} testId="cluster-ha-error" />
      </div>
      <AdmissionReport report={report.data} error={report.error} />
    </section>
  );
}

function AdmissionReport({ report, error }: { report: Report | undefined; error: unknown }) {
  if (error) {
    return (
      <div className="px-3 pb-3">
        <ErrorText error={error} />
      </div>
    );
  }
  if (!report) return null;
  const tone =
    report.reserveHostFailures === 0
      ? 'text-zinc-600'
      : report.ok
        ? 'text-emerald-700'
        : report.admission === 'refuse'
          ? 'text-red-700'
          : 'text-amber-800';
  return (
    <div className="border-t border-zinc-100 px-3 py-3 text-sm" data-testid="cluster-ha-admission-report">
      <p className={tone} data-testid="cluster-ha-admission-summary">
        {report.summary}
      </p>
      {report.scenarios.length > 0 && report.haVmCount > 0 && (
        <table className="mt-2 w-full text-left text-xs">
          <thead className="text-zinc-500">
            <tr>
              <th className="py-1 pr-3 font-medium">If these fail</th>
              <th className="py-1 pr-3 font-medium">Restarts</th>
              <th className="py-1 font-medium">Would not fit</th>
            </tr>
          </thead>
          <tbody>
            {report.scenarios.map((sc) => (
              <tr key={sc.failedHosts.map((h) => h.id).join()} className="border-t border-zinc-100 align-top">
                <td className="py-1 pr-3 font-medium text-zinc-800">{sc.failedHosts.map((h) => h.name).join(', ')}</td>
                <td className="py-1 pr-3 text-zinc-700">
                  {sc.restarts.length === 0 ? '—' : sc.restarts.map((r) => `${r.vmName} → ${r.toHostName}`).join(', ')}
                </td>
                <td className={`py-1 ${sc.wouldNotFit.length === 0 ? 'text-zinc-400' : 'text-red-700'}`}>
                  {sc.wouldNotFit.length === 0 ? '—' : sc.wouldNotFit.map((w) => w.vmName).join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
