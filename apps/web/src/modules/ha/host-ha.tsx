'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatDateTime } from '../ui/format';
import { Pill } from '../ui/status-pill';

type Fence = RouterOutputs['haSettings']['fence'];
type Tone = Parameters<typeof Pill>[0]['tone'];

/** How each HA state (services/ha/types.ts HA_HOST_STATES) reads to admins. */
const STATE: Record<string, { tone: Tone; label: string }> = {
  unreachable: { tone: 'amber', label: 'host unreachable, VMs still running' },
  dead: { tone: 'red', label: 'host dead: to be fenced' },
  fencing: { tone: 'blue', label: 'fencing' },
  fenced: { tone: 'red', label: 'fenced: HA VMs restarted elsewhere' },
  'fence-failed': { tone: 'red', label: 'fence failed' },
  'self-fence-wait': { tone: 'amber', label: 'waiting for the host to self-fence' },
};

/**
 * The host's fence device and HA state. Refetched whenever the host's live record changes (its
 * agent connecting or going away is when the HA state moves) and every few seconds besides.
 */
function useHostHa(hostId: string, version: unknown) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery({ ...trpc.haSettings.fence.queryOptions({ hostId }), refetchInterval: 3000 });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the trigger.
  useEffect(() => {
    void qc.invalidateQueries({ queryKey: trpc.haSettings.fence.queryKey({ hostId }) });
  }, [version, hostId, qc, trpc]);
  return q;
}

/** Header badge for a host whose HA state is not 'ok'. */
export function HostHaBadge({ hostId, version }: { hostId: string; version: unknown }) {
  const q = useHostHa(hostId, version);
  const state = q.data?.haState;
  if (!state || state === 'ok') return null;
  const s = STATE[state] ?? { tone: 'grey' as const, label: state };
  return <Pill tone={s.tone} label={s.label} testId="host-ha-badge" title={q.data?.haNote ?? undefined} />;
}

/** A banner under the header while the host is not 'ok' for HA, with the monitor's note. */
export function HostHaBanner({ hostId, version }: { hostId: string; version: unknown }) {
  const q = useHostHa(hostId, version);
  const d = q.data;
  if (!d || d.haState === 'ok') return null;
  const s = STATE[d.haState] ?? { tone: 'grey' as const, label: d.haState };
  const cls =
    s.tone === 'red'
      ? 'border-red-200 bg-red-50 text-red-800'
      : s.tone === 'amber'
        ? 'border-amber-200 bg-amber-50 text-amber-900'
        : 'border-sky-200 bg-sky-50 text-sky-800';
  return (
    <output className={`block rounded-lg border px-3 py-2 text-sm ${cls}`} data-testid="host-ha-banner">
      <span className="font-semibold">
        {s.label}
        {d.haState === 'fence-failed' && d.haNote ? `: ${d.haNote}` : ''}
      </span>
      {d.haState !== 'fence-failed' && d.haNote && <span> — {d.haNote}</span>}
      {d.haStateAt && <span className="ml-2 text-xs opacity-75">since {formatDateTime(d.haStateAt)}</span>}
    </output>
  );
}

type Row = { key: string; name: string; value: string };
let rowSeq = 0;
const row = (name: string, value: string): Row => ({ key: `r${++rowSeq}`, name, value });

function toForm(d: Fence) {
  const { password = '', ...rest } = d.options;
  return { agent: d.agent, password, rows: Object.entries(rest).map(([k, v]) => row(k, v)) };
}

/** Fence device: the fence-agents executable, its options, a password; "Test" runs its status action. */
export function HostFencePanel({ hostId, version }: { hostId: string; version: unknown }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const current = useHostHa(hostId, version);
  const id = useId();
  const [form, setForm] = useState<ReturnType<typeof toForm> | null>(null);
  const [formFor, setFormFor] = useState<Fence | null>(null);
  const d = current.data;
  // Take the server's values once (and after a save), not on every poll, so typing is not lost.
  useEffect(() => {
    if (d && !formFor) {
      setForm(toForm(d));
      setFormFor(d);
    }
  }, [d, formFor]);
  const save = useMutation(
    trpc.haSettings.setFence.mutationOptions({
      onSuccess: (after) => {
        qc.setQueryData(trpc.haSettings.fence.queryKey({ hostId }), after);
        setForm(toForm(after));
        setFormFor(after);
        test.reset();
      },
    }),
  );
  const test = useMutation(trpc.haSettings.testFence.mutationOptions());
  if (!form || !formFor) {
    return current.error ? <ErrorText error={current.error} /> : null;
  }
  const options = Object.fromEntries([
    ...form.rows.filter((r) => r.name.trim() !== '').map((r) => [r.name.trim(), r.value]),
    ...(form.password ? [['password', form.password]] : []),
  ]);
  const saved = toForm(formFor);
  const dirty =
    form.agent !== saved.agent ||
    form.password !== saved.password ||
    JSON.stringify(form.rows.map((r) => [r.name, r.value])) !==
      JSON.stringify(saved.rows.map((r) => [r.name, r.value]));
  const setRow = (key: string, change: Partial<Row>) =>
    setForm({ ...form, rows: form.rows.map((r) => (r.key === key ? { ...r, ...change } : r)) });

  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="host-fence">
      <h2 className="border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        Fence device
      </h2>
      <form
        className="space-y-3 p-3 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({ hostId, agent: form.agent.trim(), options });
        }}
      >
        <p className="text-xs text-zinc-500">
          A fence-agents executable (fence_ipmilan, fence_redfish, …) that powers this host off before its HA VMs
          restart elsewhere. Options are passed to it as name=value lines.
        </p>
        <div className="grid gap-3 sm:grid-cols-2">
          <label className="space-y-1" htmlFor={`${id}-agent`}>
            <span className="block text-xs text-zinc-600">Agent</span>
            <input
              id={`${id}-agent`}
              className={inputClass}
              data-testid="fence-agent"
              placeholder="fence_ipmilan (empty: none)"
              value={form.agent}
              onChange={(e) => setForm({ ...form, agent: e.target.value })}
            />
          </label>
          <label className="space-y-1" htmlFor={`${id}-password`}>
            <span className="block text-xs text-zinc-600">Password</span>
            <input
              id={`${id}-password`}
              type="password"
              autoComplete="new-password"
              className={inputClass}
              data-testid="fence-password"
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
          </label>
        </div>
        <div className="space-y-2" data-testid="fence-options">
          <span className="block text-xs text-zinc-600">Options</span>
          {form.rows.map((r) => (
            <div key={r.key} className="flex gap-2">
              {/* Widths on wrappers: inputClass is w-full, which a width utility beside it does not override. */}
              <div className="w-28 shrink-0 sm:w-40">
                <input
                  aria-label="Option name"
                  className={`${inputClass} font-mono`}
                  data-testid="fence-option-name"
                  placeholder="ip"
                  value={r.name}
                  onChange={(e) => setRow(r.key, { name: e.target.value })}
                />
              </div>
              <div className="min-w-0 flex-1">
                <input
                  aria-label={`Value of ${r.name || 'option'}`}
                  className={`${inputClass} font-mono`}
                  data-testid="fence-option-value"
                  value={r.value}
                  onChange={(e) => setRow(r.key, { value: e.target.value })}
                />
              </div>
              <button
                type="button"
                className={btn.ghost}
                aria-label={`Remove option ${r.name}`}
                onClick={() => setForm({ ...form, rows: form.rows.filter((x) => x.key !== r.key) })}
              >
                ×
              </button>
            </div>
          ))}
          <button
            type="button"
            className={btn.ghost}
            data-testid="fence-option-add"
            onClick={() => setForm({ ...form, rows: [...form.rows, row('', '')] })}
          >
            + Add option
          </button>
        </div>
        <div className="flex flex-wrap gap-2">
          <button type="submit" className={btn.secondary} data-testid="fence-save" disabled={!dirty || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
          <button
            type="button"
            className={btn.secondary}
            data-testid="fence-test"
            disabled={dirty || !formFor.agent || test.isPending}
            title={dirty ? 'Save first: the test runs the saved device' : undefined}
            onClick={() => test.mutate({ hostId })}
          >
            {test.isPending ? 'Testing…' : 'Test fence device'}
          </button>
        </div>
        <ErrorText error={save.error ?? test.error} testId="fence-error" />
        {test.data && (
          <div
            className={`rounded-md border px-3 py-2 ${test.data.ok ? 'border-emerald-200 bg-emerald-50' : 'border-red-200 bg-red-50'}`}
            data-testid="fence-test-result"
          >
            <p className={test.data.ok ? 'text-emerald-800' : 'text-red-800'}>
              {test.data.ok ? 'The device answered' : 'The test failed'}
              {test.data.power && (
                <>
                  {': power '}
                  <span className="font-semibold" data-testid="fence-test-power">
                    {test.data.power}
                  </span>
                </>
              )}
              <span className="ml-2 text-xs opacity-75">
                exit {test.data.exitCode ?? '—'}, {Math.round(test.data.durationMs)} ms
              </span>
            </p>
            {test.data.output && (
              <pre
                className="mt-1 max-h-40 overflow-auto text-xs whitespace-pre-wrap text-zinc-700"
                data-testid="fence-test-output"
              >
                {test.data.output}
              </pre>
            )}
          </div>
        )}
      </form>
    </section>
  );
}
