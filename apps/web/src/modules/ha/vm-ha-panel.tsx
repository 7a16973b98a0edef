'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { Pill } from '../ui/status-pill';

function useVmHa(vmId: string) {
  const trpc = useTRPC();
  const { user } = useSession();
  return useQuery({ ...trpc.haSettings.vm.queryOptions({ vmId }), enabled: user?.role === 'admin' });
}

/** "HA" in the VM page header when the VM is restarted elsewhere if its host dies (admins). */
export function VmHaBadge({ vmId }: { vmId: string }) {
  const ha = useVmHa(vmId);
  if (!ha.data?.enabled) return null;
  return (
    <Pill
      tone="blue"
      label={`HA · ${ha.data.priority}`}
      testId="vm-ha-badge"
      title={`High availability on: restarted on another host if its host dies (priority ${ha.data.priority}${ha.data.dependsOnName ? `, after ${ha.data.dependsOnName}` : ''})`}
    />
  );
}

/** High availability of one VM: on/off, restart priority, the VM it waits for; admission warning. */
export function VmHaPanel({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { user } = useSession();
  const current = useVmHa(vmId);
  const [form, setForm] = useState({ enabled: false, priority: 0, dependsOnVmId: null as string | null });
  const [warning, setWarning] = useState<string | null>(null);
  const id = useId();
  useEffect(() => {
    if (current.data)
      setForm({
        enabled: current.data.enabled,
        priority: current.data.priority,
        dependsOnVmId: current.data.dependsOnVmId,
      });
  }, [current.data]);
  const save = useMutation(
    trpc.haSettings.setVm.mutationOptions({
      onSuccess: (r) => {
        qc.setQueryData(trpc.haSettings.vm.queryKey({ vmId }), r.settings);
        setWarning(r.warning);
      },
    }),
  );
  if (user?.role !== 'admin') return null;
  const d = current.data;
  const changed =
    d !== undefined &&
    (d.enabled !== form.enabled || d.priority !== form.priority || d.dependsOnVmId !== form.dependsOnVmId);
  const validPriority = Number.isInteger(form.priority) && form.priority >= 0 && form.priority <= 100;

  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="vm-ha">
      <h2 className="border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        High availability
      </h2>
      <form
        className="flex flex-wrap items-end gap-3 p-3 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          setWarning(null);
          save.mutate({ vmId, ...form });
        }}
      >
        <label className="flex h-8 items-center gap-2">
          <input
            type="checkbox"
            data-testid="vm-ha-on"
            checked={form.enabled}
            disabled={!d || (Boolean(d.blocker) && !d.enabled)}
            onChange={(e) => setForm({ ...form, enabled: e.target.checked })}
          />
          Restart on another host if its host dies
        </label>
        <label className="space-y-1" htmlFor={`${id}-priority`}>
          <span className="block text-xs text-zinc-600">Priority (0–100, highest first)</span>
          <input
            id={`${id}-priority`}
            type="number"
            min={0}
            max={100}
            data-testid="vm-ha-priority"
            aria-invalid={!validPriority}
            className={`${inputClass} w-24`}
            value={Number.isNaN(form.priority) ? '' : form.priority}
            disabled={!form.enabled}
            onChange={(e) => setForm({ ...form, priority: e.target.valueAsNumber })}
          />
        </label>
        <label className="min-w-40 space-y-1" htmlFor={`${id}-dep`}>
          <span className="block text-xs text-zinc-600">Start after</span>
          <select
            id={`${id}-dep`}
            data-testid="vm-ha-depends"
            className={inputClass}
            value={form.dependsOnVmId ?? ''}
            disabled={!form.enabled}
            onChange={(e) => setForm({ ...form, dependsOnVmId: e.target.value || null })}
          >
            <option value="">no other VM</option>
            {d?.candidates.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="submit"
          className={btn.secondary}
          data-testid="vm-ha-save"
          disabled={!changed || !validPriority || save.isPending}
        >
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
        {d?.blocker && !d.enabled && (
          <p className="basis-full text-xs text-zinc-600" data-testid="vm-ha-blocker">
            HA cannot be turned on: {d.blocker}
          </p>
        )}
        {warning && (
          <output
            className="block basis-full rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900"
            data-testid="vm-ha-warning"
          >
            Saved, but admission control warns: {warning}
          </output>
        )}
        {(current.error || save.error) && (
          <div className="basis-full">
            <ErrorText error={current.error ?? save.error} testId="vm-ha-error" />
          </div>
        )}
      </form>
    </section>
  );
}
