'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { inputClass } from '../ui/buttons';
import { Field, FormDialog } from '../ui/form-dialog';

type Policies = RouterOutputs['inventory']['clusterSettings'];

/** After any inventory change: the tree and the lists that name clusters refetch. */
export function useInventoryRefresh() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: trpc.inventory.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.host.list.queryKey() });
  };
}

const NAME_HINT = 'Up to 64 letters, digits, spaces, ".", "_" or "-".';

/** One name field: create a datacenter or a cluster, or rename either. */
export function NameDialog({
  title,
  submitLabel,
  initial = '',
  testId,
  busy,
  error,
  onSubmit,
  onClose,
}: {
  title: string;
  submitLabel: string;
  initial?: string;
  testId: string;
  busy: boolean;
  error: unknown;
  onSubmit: (name: string) => void;
  onClose: () => void;
}) {
  const [name, setName] = useState(initial);
  const trimmed = name.trim();
  return (
    <FormDialog
      title={title}
      submitLabel={submitLabel}
      testId={testId}
      busy={busy}
      canSubmit={trimmed.length > 0 && trimmed !== initial}
      error={error}
      onSubmit={() => onSubmit(trimmed)}
      onClose={onClose}
    >
      <Field label="Name" hint={NAME_HINT}>
        {(id) => (
          <input
            id={id}
            className={inputClass}
            data-testid="inventory-name-input"
            value={name}
            maxLength={64}
            onChange={(e) => setName(e.target.value)}
          />
        )}
      </Field>
    </FormDialog>
  );
}

/** Pick a new parent: a datacenter for a cluster, a cluster for a host. */
export function MoveDialog({
  title,
  label,
  options,
  testId,
  busy,
  error,
  note,
  onSubmit,
  onClose,
}: {
  title: string;
  label: string;
  options: { id: string; name: string }[];
  testId: string;
  busy: boolean;
  error: unknown;
  note?: string;
  onSubmit: (targetId: string) => void;
  onClose: () => void;
}) {
  const [target, setTarget] = useState(options[0]?.id ?? '');
  return (
    <FormDialog
      title={title}
      submitLabel="Move"
      testId={testId}
      busy={busy}
      canSubmit={target !== ''}
      error={error}
      onSubmit={() => onSubmit(target)}
      onClose={onClose}
    >
      {note && <p className="text-sm text-zinc-600">{note}</p>}
      <Field label={label}>
        {(id) => (
          <select
            id={id}
            className={inputClass}
            data-testid="inventory-move-target"
            value={target}
            onChange={(e) => setTarget(e.target.value)}
          >
            {options.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      {options.length === 0 && <p className="text-sm text-amber-800">There is nowhere else to move it.</p>}
    </FormDialog>
  );
}

const numberFields = [
  ['migrationMaxDowntimeMs', 'Max downtime (ms)', 'The pause a live migration may take at its end.', 10, 60_000],
  ['migrationBandwidthMiBs', 'Bandwidth (MiB/s)', '0 = unlimited.', 0, 100_000],
  ['migrationParallelPerHost', 'Parallel migrations per host', 'Outgoing at once from one host.', 1, 16],
] as const;

/** The cluster's settings: CPU baseline, migration tuning, placement policy. */
export function ClusterSettingsDialog({
  clusterId,
  clusterName,
  initial,
  onClose,
}: {
  clusterId: string;
  clusterName: string;
  initial: Policies;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(initial);
  const save = useMutation(
    trpc.inventory.setClusterSettings.mutationOptions({
      onSuccess: (after) => {
        queryClient.setQueryData(trpc.inventory.clusterSettings.queryKey({ clusterId }), after);
        onClose();
      },
    }),
  );
  const set = <K extends keyof Policies>(key: K, value: Policies[K]) => setForm((f) => ({ ...f, [key]: value }));
  const valid = numberFields.every(
    ([k, , , min, max]) => Number.isInteger(form[k]) && form[k] >= min && form[k] <= max,
  );
  return (
    <FormDialog
      title={`Settings of cluster ${clusterName}`}
      submitLabel="Save"
      busyLabel="Saving…"
      testId="cluster-settings-dialog"
      busy={save.isPending}
      canSubmit={valid}
      error={save.error}
      onSubmit={() => save.mutate({ clusterId, settings: form })}
      onClose={onClose}
    >
      <Field label="CPU baseline" hint="A libvirt CPU model every host offers (e.g. Haswell-noTSX); empty = host CPU.">
        {(id) => (
          <input
            id={id}
            className={inputClass}
            data-testid="cluster-cpu-baseline"
            value={form.cpuBaseline}
            placeholder="host-passthrough"
            onChange={(e) => set('cpuBaseline', e.target.value.trim())}
          />
        )}
      </Field>
      <Field label="Placement policy" hint="Balanced spreads VMs over hosts; packed fills hosts one by one.">
        {(id) => (
          <select
            id={id}
            className={inputClass}
            data-testid="cluster-placement-policy"
            value={form.placementPolicy}
            onChange={(e) => set('placementPolicy', e.target.value as Policies['placementPolicy'])}
          >
            <option value="balanced">balanced</option>
            <option value="packed">packed</option>
          </select>
        )}
      </Field>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        {numberFields.map(([key, label, hint, min, max]) => (
          <Field key={key} label={label} hint={hint}>
            {(id) => (
              <input
                id={id}
                type="number"
                min={min}
                max={max}
                className={inputClass}
                data-testid={`cluster-${key}`}
                value={Number.isNaN(form[key]) ? '' : form[key]}
                onChange={(e) => set(key, e.target.valueAsNumber)}
              />
            )}
          </Field>
        ))}
      </div>
      <label className="flex items-center gap-2 text-sm text-zinc-800">
        <input
          type="checkbox"
          data-testid="cluster-auto-converge"
          checked={form.migrationAutoConverge}
          onChange={(e) => set('migrationAutoConverge', e.target.checked)}
        />
        Auto-converge (slow a busy guest down so its migration finishes)
      </label>
      <label className="flex items-center gap-2 text-sm text-zinc-800">
        <input
          type="checkbox"
          data-testid="cluster-post-copy"
          checked={form.migrationPostCopy}
          onChange={(e) => set('migrationPostCopy', e.target.checked)}
        />
        Post-copy (switch over before all memory is copied; a network failure then loses the VM)
      </label>
    </FormDialog>
  );
}
