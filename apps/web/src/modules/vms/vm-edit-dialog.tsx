'use client';

import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';

/**
 * "Edit" on the VM page: name, vCPUs and memory (on a running VM: pending until its next start), each with the maximum that later
 * hot-plug (vCPUs) and ballooning (memory) may reach. Runs as a VM task; a refused edit changes nothing.
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
  const id = useId();
  const running = vm.state !== 'shutoff' && vm.state !== 'crashed';
  const [form, setForm] = useState({
    name: vm.name,
    vcpus: vm.vcpus,
    maxVcpus: vm.vcpus,
    memoryMiB: vm.memoryMiB,
    maxMemoryMiB: vm.memoryMiB,
  });
  const edit = useMutation(trpc.vm.edit.mutationOptions({ onSuccess: ({ taskId }) => onStarted(taskId) }));
  const num = (v: string) => Math.max(0, Math.trunc(Number(v) || 0));
  const field = (key: 'vcpus' | 'maxVcpus' | 'memoryMiB' | 'maxMemoryMiB', label: string) => (
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
        <div className="grid grid-cols-2 gap-3">
          {field('vcpus', 'vCPUs')}
          {field('maxVcpus', 'Maximum vCPUs (for hot-plug)')}
          {field('memoryMiB', 'Memory (MiB)')}
          {field('maxMemoryMiB', 'Maximum memory (MiB, for ballooning)')}
        </div>
        <p className="text-xs text-zinc-500" data-testid="vm-edit-note">
          {running
            ? 'The VM is running: these changes are pending and apply at its next restart (shut down, then start; a reboot keeps the current figures).'
            : 'Applied to the VM’s definition on its host; the next start uses it.'}
        </p>
        {edit.error && <ErrorText error={edit.error} />}
      </div>
    </ConfirmDialog>
  );
}
