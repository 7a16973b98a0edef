'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

/** Autostart with the host: on/off, start order among the host's VMs, delay before the next. */
export function VmAutostartPanel({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const current = useQuery(trpc.vm.autostart.queryOptions({ vmId }));
  const [form, setForm] = useState({ autostart: false, order: 0, delayS: 0 });
  const id = useId();
  useEffect(() => {
    if (current.data) setForm(current.data);
  }, [current.data]);
  const save = useMutation(
    trpc.vm.setAutostart.mutationOptions({
      onSuccess: (data) => qc.setQueryData(trpc.vm.autostart.queryKey({ vmId }), data),
    }),
  );
  const changed =
    current.data !== undefined &&
    (current.data.autostart !== form.autostart ||
      current.data.order !== form.order ||
      current.data.delayS !== form.delayS);
  const num = (v: string) => Math.max(0, Math.trunc(Number(v) || 0));

  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="vm-autostart">
      <h2 className="border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        Start with host
      </h2>
      <form
        className="flex flex-wrap items-end gap-3 p-3 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({ vmId, ...form });
        }}
      >
        <label className="flex h-8 items-center gap-2">
          <input
            type="checkbox"
            data-testid="autostart-on"
            checked={form.autostart}
            onChange={(e) => setForm({ ...form, autostart: e.target.checked })}
          />
          Start when its host comes up
        </label>
        <label className="space-y-1" htmlFor={`${id}-order`}>
          <span className="block text-xs text-zinc-600">Order (lowest first)</span>
          <input
            id={`${id}-order`}
            type="number"
            min={0}
            max={1000}
            className={`${inputClass} w-24`}
            value={form.order}
            disabled={!form.autostart}
            onChange={(e) => setForm({ ...form, order: num(e.target.value) })}
          />
        </label>
        <label className="space-y-1" htmlFor={`${id}-delay`}>
          <span className="block text-xs text-zinc-600">Then wait (s)</span>
          <input
            id={`${id}-delay`}
            type="number"
            min={0}
            max={600}
            className={`${inputClass} w-24`}
            value={form.delayS}
            disabled={!form.autostart}
            onChange={(e) => setForm({ ...form, delayS: num(e.target.value) })}
          />
        </label>
        <button type="submit" className={btn.secondary} disabled={!changed || save.isPending}>
          Save
        </button>
        {(current.error || save.error) && (
          <div className="basis-full">
            <ErrorText error={current.error ?? save.error} />
          </div>
        )}
      </form>
    </section>
  );
}
