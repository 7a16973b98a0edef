'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { VmBootEditor } from './vm-boot-editor';

/**
 * "Edit" on the VM page: name, vCPUs and memory, each with the maximum that hot-plug (vCPUs) and
 * ballooning (memory) may reach. On a running VM, vCPUs and memory within the maximums it started
 * with apply at once, the rest at its next start; each field says which. Runs as a VM task; a
 * refused edit changes nothing.
 */
export function VmEditButton({
  vm,
  busy,
  onTaskStarted,
}: {
  vm: VmView;
  busy: boolean;
  onTaskStarted: (taskId: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const editable = ['shutoff', 'crashed', 'running', 'paused'].includes(vm.state);
  return (
    <>
      <button
        type="button"
        className={btn.secondary}
        data-testid="vm-edit"
        disabled={!editable || busy}
        title={editable ? undefined : `Cannot edit the VM while it is ${vm.state}`}
        onClick={() => setOpen(true)}
      >
        Edit
      </button>
      {open && (
        <VmEditDialog
          vm={vm}
          onClose={() => setOpen(false)}
          onStarted={(taskId) => {
            setOpen(false);
            onTaskStarted(taskId);
          }}
        />
      )}
    </>
  );
}

function VmEditDialog({
  vm,
  onClose,
  onStarted,
}: {
  vm: VmView;
  onClose: () => void;
  onStarted: (taskId: string) => void;
}) {
  const trpc = useTRPC();
  // The definition's figures, maximums included: the row holds only what runs.
  const limits = useQuery({ ...trpc.vm.editLimits.queryOptions({ vmId: vm.id }), staleTime: 0, gcTime: 0 });
  const description = useQuery({ ...trpc.vm.description.queryOptions({ vmId: vm.id }), staleTime: 0 });
  const error = limits.error ?? description.error;
  if (!limits.data || !description.data) {
    return (
      <ConfirmDialog
        title={`Edit ${vm.name}`}
        confirmLabel="Save"
        danger={false}
        testId="vm-edit-dialog"
        onCancel={onClose}
        onConfirm={() => {}}
      >
        {error ? <ErrorText error={error} /> : <p className="text-sm text-zinc-500">Reading the VM’s settings…</p>}
      </ConfirmDialog>
    );
  }
  return (
    <VmEditForm
      vm={vm}
      limits={limits.data}
      description={description.data.description}
      onClose={onClose}
      onStarted={onStarted}
    />
  );
}

type Limits = { vcpus: number; maxVcpus: number; memoryMiB: number; maxMemoryMiB: number };

function VmEditForm({
  vm,
  limits,
  description,
  onClose,
  onStarted,
}: {
  vm: VmView;
  limits: { next: Limits; live: Limits | null };
  description: string;
  onClose: () => void;
  onStarted: (taskId: string) => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const running = limits.live !== null;
  const [form, setForm] = useState({ name: vm.name, description, ...limits.next });
  const edit = useMutation(trpc.vm.edit.mutationOptions({ onSuccess: ({ taskId }) => onStarted(taskId) }));
  const num = (v: string) => Math.max(0, Math.trunc(Number(v) || 0));
  const when = whenApplied(limits, form);
  const field = (key: keyof Limits, label: string) => (
    <label className="space-y-1" htmlFor={`${id}-${key}`}>
      <span className="block text-xs text-zinc-600">{label}</span>
      <input
        id={`${id}-${key}`}
        data-testid={`vm-edit-${key}`}
        type="number"
        min={1}
        className={`${inputClass} h-8 w-full`}
        value={form[key]}
        onChange={(e) => setForm({ ...form, [key]: num(e.target.value) })}
      />
      {when[key] && (
        <span
          data-testid={`vm-edit-when-${key}`}
          className={`block text-xs ${when[key] === 'live' ? 'text-emerald-700' : 'text-amber-700'}`}
        >
          {when[key] === 'live' ? 'Applies now (live)' : 'Waits for the next start'}
        </span>
      )}
    </label>
  );

  return (
    <ConfirmDialog
      title={`Edit ${vm.name}`}
      confirmLabel="Save"
      danger={false}
      testId="vm-edit-dialog"
      onCancel={onClose}
      onConfirm={() => edit.mutate({ vmId: vm.id, ...form })}
    >
      <div className="space-y-3 text-sm text-zinc-700">
        <label className="block space-y-1" htmlFor={`${id}-name`}>
          <span className="block text-xs text-zinc-600">Name</span>
          <input
            id={`${id}-name`}
            data-testid="vm-edit-name"
            className={`${inputClass} h-8 w-full`}
            value={form.name}
            disabled={running}
            title={running ? 'Shut the VM down to rename it' : undefined}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </label>
        <label className="block space-y-1" htmlFor={`${id}-description`}>
          <span className="block text-xs text-zinc-600">Description</span>
          <textarea
            id={`${id}-description`}
            data-testid="vm-edit-description"
            className={`${inputClass} min-h-16 w-full py-1`}
            maxLength={1000}
            rows={3}
            value={form.description}
            onChange={(e) => setForm({ ...form, description: e.target.value })}
          />
        </label>
        <div className="grid grid-cols-2 gap-3">
          {field('vcpus', 'vCPUs')}
          {field('maxVcpus', 'Maximum vCPUs (for hot-plug)')}
          {field('memoryMiB', 'Memory (MiB)')}
          {field('maxMemoryMiB', 'Maximum memory (MiB, for ballooning)')}
        </div>
        <p className="text-xs text-zinc-500" data-testid="vm-edit-note">
          {limits.live
            ? `The VM is running: up to ${limits.live.maxVcpus} vCPUs (hot-plug) and ${limits.live.maxMemoryMiB} MiB (balloon) apply at once; a new maximum, or more than the running one, waits for its next restart (shut down, then start; a reboot keeps the current figures).`
            : 'Applied to the VM’s definition on its host; the next start uses it.'}
        </p>
        {edit.error && <ErrorText error={edit.error} />}
        <VmBootEditor
          vmId={vm.id}
          stopped={vm.state === 'shutoff' || vm.state === 'crashed'}
          memoryMiB={limits.next.memoryMiB}
          onStarted={onStarted}
        />
      </div>
    </ConfirmDialog>
  );
}

/** For a running VM, whether each changed figure applies at once or at the next start. */
export function whenApplied(
  limits: { next: Limits; live: Limits | null },
  form: Limits,
): Partial<Record<keyof Limits, 'live' | 'next start'>> {
  const { live, next } = limits;
  if (!live) return {};
  const out: Partial<Record<keyof Limits, 'live' | 'next start'>> = {};
  if (form.vcpus !== live.vcpus) out.vcpus = form.vcpus <= live.maxVcpus ? 'live' : 'next start';
  if (form.memoryMiB !== live.memoryMiB) out.memoryMiB = form.memoryMiB <= live.maxMemoryMiB ? 'live' : 'next start';
  if (form.maxVcpus !== next.maxVcpus || form.maxVcpus !== live.maxVcpus) out.maxVcpus = 'next start';
  if (form.maxMemoryMiB !== next.maxMemoryMiB || form.maxMemoryMiB !== live.maxMemoryMiB)
    out.maxMemoryMiB = 'next start';
  return out;
}
