'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { AlertMetric, AlertRuleView, AlertScope } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { EmptyRow, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { Pill } from '../ui/status-pill';
import { Section } from './alerts-view';

const td = `${tdBase} ${stacked.td}`;

const SCOPE_LABEL: Record<AlertScope, string> = {
  hosts: 'Every host',
  host: 'One host',
  vms: 'Every VM',
  vm: 'One VM',
};
const METRIC_LABEL: Record<AlertMetric, string> = {
  cpu: 'CPU %',
  memory: 'Memory used %',
  storageFree: 'VM storage free %',
  hostOffline: 'Host offline',
};
/** What the manager can evaluate for each kind of object (the API refuses the rest). */
const METRICS_FOR: Record<AlertScope, AlertMetric[]> = {
  hosts: ['hostOffline', 'cpu', 'memory', 'storageFree'],
  host: ['hostOffline', 'cpu', 'memory', 'storageFree'],
  vms: ['cpu'],
  vm: ['cpu'],
};

export function describeCondition(rule: Pick<AlertRuleView, 'metric' | 'threshold' | 'forSeconds'>): string {
  const held = rule.forSeconds > 0 ? ` for ${rule.forSeconds} s` : '';
  if (rule.metric === 'hostOffline') return `offline${held}`;
  const cmp = rule.metric === 'storageFree' ? '≤' : '≥';
  return `${METRIC_LABEL[rule.metric]} ${cmp} ${rule.threshold} %${held}`;
}

const COLUMNS = ['Rule', 'Applies to', 'Condition', 'State', 'Actions'];

export function AlertRules() {
  const trpc = useTRPC();
  const rules = useQuery(trpc.alert.rules.queryOptions());
  const [editing, setEditing] = useState<AlertRuleView | 'new' | null>(null);
  const [deleting, setDeleting] = useState<AlertRuleView | null>(null);
  const update = useMutation(trpc.alert.updateRule.mutationOptions());
  const remove = useMutation(trpc.alert.deleteRule.mutationOptions({ onSuccess: () => setDeleting(null) }));

  return (
    <Section title="Rules" testId="alert-rules">
      <div className="flex items-center gap-2 border-b border-zinc-100 px-3 py-2">
        <p className="flex-1 text-xs text-zinc-500">
          A rule fires once its condition has held for its duration, and resolves when it no longer holds.
        </p>
        <button type="button" data-testid="alert-rule-add" className={btn.secondary} onClick={() => setEditing('new')}>
          Add rule
        </button>
      </div>
      {editing && (
        <RuleForm
          key={editing === 'new' ? 'new' : editing.id}
          rule={editing === 'new' ? null : editing}
          onDone={() => setEditing(null)}
        />
      )}
      <ErrorText error={rules.error ?? update.error ?? remove.error} />
      <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
        <TableHead columns={COLUMNS} className={stacked.thead} />
        <tbody className={stacked.tbody}>
          {rules.data?.map((r) => (
            <tr key={r.id} data-testid="alert-rule-row" data-rule={r.id} className={stacked.tr}>
              <td className={`${td} font-medium text-zinc-900`} data-label="Rule">
                {r.name}
              </td>
              <td className={td} data-label="Applies to">
                {r.scope === 'host' || r.scope === 'vm'
                  ? `${r.scope === 'host' ? 'Host' : 'VM'} ${r.scopeName ?? '(deleted)'}`
                  : SCOPE_LABEL[r.scope]}
              </td>
              <td className={`${td} text-zinc-700`} data-label="Condition">
                {describeCondition(r)}
              </td>
              <td className={td} data-label="State">
                {r.enabled ? <Pill tone="green" label="enabled" /> : <Pill tone="grey" label="disabled" />}
              </td>
              <td className={`${td} text-right`} data-label="Actions">
                <span className="inline-flex gap-1.5">
                  <button
                    type="button"
                    className={btn.ghost}
                    data-testid="alert-rule-edit"
                    onClick={() => setEditing(r)}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    className={btn.ghost}
                    data-testid="alert-rule-toggle"
                    disabled={update.isPending}
                    onClick={() => update.mutate({ ...toInput(r), ruleId: r.id, enabled: !r.enabled })}
                  >
                    {r.enabled ? 'Disable' : 'Enable'}
                  </button>
                  <button
                    type="button"
                    className={btn.danger}
                    data-testid="alert-rule-delete"
                    onClick={() => setDeleting(r)}
                  >
                    Delete
                  </button>
                </span>
              </td>
            </tr>
          ))}
          {rules.isPending && <EmptyRow colSpan={COLUMNS.length}>Loading rules…</EmptyRow>}
          {rules.data?.length === 0 && <EmptyRow colSpan={COLUMNS.length}>No rules: nothing will alert.</EmptyRow>}
        </tbody>
      </table>
      {deleting && (
        <ConfirmDialog
          title={`Delete rule “${deleting.name}”?`}
          confirmLabel="Delete rule"
          testId="alert-rule-delete-dialog"
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ ruleId: deleting.id })}
        >
          Its firing alerts resolve first (the webhook is told), then the rule and its alert history are removed.
        </ConfirmDialog>
      )}
    </Section>
  );
}

function toInput(r: AlertRuleView) {
  return {
    name: r.name,
    scope: r.scope,
    scopeId: r.scopeId,
    metric: r.metric,
    threshold: r.threshold,
    forSeconds: r.forSeconds,
    enabled: r.enabled,
  };
}

/** Number fields go to the server as typed: it alone validates, and its message is shown as is. */
const asNumber = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

function RuleForm({ rule, onDone }: { rule: AlertRuleView | null; onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState(rule?.name ?? '');
  const [scope, setScope] = useState<AlertScope>(rule?.scope ?? 'hosts');
  const [scopeId, setScopeId] = useState(rule?.scopeId ?? '');
  const [metric, setMetric] = useState<AlertMetric>(rule?.metric ?? 'cpu');
  const [threshold, setThreshold] = useState(String(rule?.threshold ?? 90));
  const [forSeconds, setForSeconds] = useState(String(rule?.forSeconds ?? 300));
  const hosts = useQuery({ ...trpc.host.list.queryOptions(), enabled: scope === 'host' });
  // The first 500 VMs by name (a choice list; beyond that, a search field would be needed).
  const vms = useQuery({ ...trpc.vm.list.queryOptions({ limit: 500, sort: 'name' }), enabled: scope === 'vm' });
  const create = useMutation(trpc.alert.createRule.mutationOptions({ onSuccess: onDone }));
  const update = useMutation(trpc.alert.updateRule.mutationOptions({ onSuccess: onDone }));
  const saving = create.isPending || update.isPending;
  const metrics = METRICS_FOR[scope];
  const options = scope === 'host' ? (hosts.data ?? []) : scope === 'vm' ? (vms.data?.rows ?? []) : [];

  const submit = () => {
    const input = {
      name,
      scope,
      scopeId: scope === 'host' || scope === 'vm' ? scopeId || null : null,
      metric,
      threshold: metric === 'hostOffline' ? 0 : asNumber(threshold),
      forSeconds: asNumber(forSeconds),
      enabled: rule?.enabled ?? true,
    };
    if (rule) update.mutate({ ...input, ruleId: rule.id });
    else create.mutate(input);
  };

  return (
    <form
      noValidate
      data-testid="alert-rule-form"
      className="space-y-3 border-b border-zinc-200 bg-zinc-50 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <h3 className="text-sm font-semibold text-zinc-900">{rule ? `Edit “${rule.name}”` : 'New rule'}</h3>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <Field label="Name">
          <input
            data-testid="alert-rule-name"
            className={inputClass}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
        <Field label="Applies to">
          <select
            data-testid="alert-rule-scope"
            className={inputClass}
            value={scope}
            onChange={(e) => {
              const next = e.target.value as AlertScope;
              setScope(next);
              setScopeId('');
              if (!METRICS_FOR[next].includes(metric)) setMetric(METRICS_FOR[next][0] ?? 'cpu');
            }}
          >
            {(Object.keys(SCOPE_LABEL) as AlertScope[]).map((s) => (
              <option key={s} value={s}>
                {SCOPE_LABEL[s]}
              </option>
            ))}
          </select>
        </Field>
        {(scope === 'host' || scope === 'vm') && (
          <Field label={scope === 'host' ? 'Host' : 'VM'}>
            <select
              data-testid="alert-rule-object"
              className={inputClass}
              value={scopeId}
              onChange={(e) => setScopeId(e.target.value)}
            >
              <option value="">Choose…</option>
              {options.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Metric">
          <select
            data-testid="alert-rule-metric"
            className={inputClass}
            value={metric}
            onChange={(e) => setMetric(e.target.value as AlertMetric)}
          >
            {metrics.map((m) => (
              <option key={m} value={m}>
                {METRIC_LABEL[m]}
              </option>
            ))}
          </select>
        </Field>
        {metric !== 'hostOffline' && (
          <Field label={metric === 'storageFree' ? 'Fires at or below (%)' : 'Fires at or above (%)'}>
            <input
              data-testid="alert-rule-threshold"
              type="number"
              inputMode="decimal"
              min={0}
              max={100}
              className={inputClass}
              value={threshold}
              onChange={(e) => setThreshold(e.target.value)}
            />
          </Field>
        )}
        <Field label="For (seconds)">
          <input
            data-testid="alert-rule-for"
            type="number"
            inputMode="numeric"
            min={0}
            className={inputClass}
            value={forSeconds}
            onChange={(e) => setForSeconds(e.target.value)}
          />
        </Field>
      </div>
      <ErrorText error={create.error ?? update.error} testId="alert-rule-error" />
      <div className="flex justify-end gap-2">
        <button type="button" className={btn.ghost} onClick={onDone}>
          Cancel
        </button>
        <button type="submit" data-testid="alert-rule-save" className={btn.primary} disabled={saving}>
          {saving ? 'Saving…' : rule ? 'Save rule' : 'Add rule'}
        </button>
      </div>
    </form>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: every caller passes its input or select as the children
    <label className="block space-y-1">
      <span className="block text-xs font-medium text-zinc-700">{label}</span>
      {children}
    </label>
  );
}
