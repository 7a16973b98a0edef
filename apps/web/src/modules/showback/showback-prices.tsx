'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

const FIELDS = [
  { key: 'vcpuHour', label: 'per vCPU-hour' },
  { key: 'memoryGiBHour', label: 'per GiB-hour of memory' },
  { key: 'diskGiBHour', label: 'per GiB-hour of disk' },
] as const;

/** Admins' prices per unit-hour and their currency; the report is priced with them. */
export function ShowbackPrices() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const current = useQuery(trpc.showback.prices.queryOptions());
  const [form, setForm] = useState({ currency: 'EUR', vcpuHour: '0', memoryGiBHour: '0', diskGiBHour: '0' });
  useEffect(() => {
    if (current.data)
      setForm({
        currency: current.data.currency,
        vcpuHour: String(current.data.vcpuHour),
        memoryGiBHour: String(current.data.memoryGiBHour),
        diskGiBHour: String(current.data.diskGiBHour),
      });
  }, [current.data]);
  const save = useMutation(
    trpc.showback.setPrices.mutationOptions({
      onSuccess: async () => {
        await qc.invalidateQueries({ queryKey: trpc.showback.pathKey() });
      },
    }),
  );
  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="showback-prices">
      <h2 className="border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        Prices
      </h2>
      <form
        className="flex flex-wrap items-end gap-3 p-3 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({
            currency: form.currency.trim().toUpperCase(),
            vcpuHour: Number(form.vcpuHour),
            memoryGiBHour: Number(form.memoryGiBHour),
            diskGiBHour: Number(form.diskGiBHour),
          });
        }}
      >
        <label className="space-y-1" htmlFor={`${id}-currency`}>
          <span className="block text-xs text-zinc-600">Currency</span>
          <input
            id={`${id}-currency`}
            data-testid="price-currency"
            className={`${inputClass} w-20`}
            maxLength={3}
            value={form.currency}
            onChange={(e) => setForm({ ...form, currency: e.target.value })}
          />
        </label>
        {FIELDS.map((f) => (
          <label key={f.key} className="space-y-1" htmlFor={`${id}-${f.key}`}>
            <span className="block text-xs text-zinc-600">{f.label}</span>
            <input
              id={`${id}-${f.key}`}
              data-testid={`price-${f.key}`}
              type="number"
              min={0}
              step="any"
              className={`${inputClass} w-36`}
              value={form[f.key]}
              onChange={(e) => setForm({ ...form, [f.key]: e.target.value })}
            />
          </label>
        ))}
        <button type="submit" data-testid="price-save" className={btn.secondary} disabled={save.isPending}>
          Save prices
        </button>
        {save.isSuccess && <span className="text-xs text-emerald-700">Saved.</span>}
      </form>
      <div className="px-3 pb-2">
        <ErrorText error={save.error} />
      </div>
    </section>
  );
}
