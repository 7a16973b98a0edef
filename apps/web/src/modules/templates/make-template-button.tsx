'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { useSession } from '../auth/use-session';
import { btn, inputClass } from '../ui/buttons';
import { FormDialog } from '../ui/form-dialog';

/**
 * "Make template" on a VM page (admins): a new template, or the next version of an existing one,
 * from this stopped VM (template.fromVm: its disks are copied into new bases, the VM is kept).
 * The copy runs as a task on the VM, so the page's task panel shows its progress.
 */
export function MakeTemplateButton({
  vm,
  busy,
  onTaskStarted,
}: {
  vm: VmView;
  busy: boolean;
  onTaskStarted: (taskId: string) => void;
}) {
  const { user } = useSession();
  const [open, setOpen] = useState(false);
  if (user?.role !== 'admin') return null;
  const allowed = vm.state === 'shutoff' && !busy;
  return (
    <>
      <button
        type="button"
        className={btn.secondary}
        data-testid="vm-make-template"
        disabled={!allowed}
        title={vm.state === 'shutoff' ? undefined : 'Shut the VM down first: a template is made from a stopped VM'}
        onClick={() => setOpen(true)}
      >
        Make template
      </button>
      {open && (
        <MakeTemplateDialog
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

function MakeTemplateDialog({
  vm,
  onClose,
  onStarted,
}: {
  vm: VmView;
  onClose: () => void;
  onStarted: (taskId: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const templates = useQuery(trpc.template.list.queryOptions());
  const [target, setTarget] = useState('');
  const [name, setName] = useState(`${vm.name}-template`);
  const [description, setDescription] = useState('');
  const make = useMutation(
    trpc.template.fromVm.mutationOptions({
      onSuccess: ({ taskId }) => {
        void queryClient.invalidateQueries({ queryKey: trpc.task.list.queryKey() });
        onStarted(taskId);
      },
    }),
  );
  const submit = () =>
    make.mutate(
      target
        ? { vmId: vm.id, templateId: target }
        : { vmId: vm.id, name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) },
    );
  const label = 'block space-y-1 text-sm font-medium text-zinc-800';
  return (
    <FormDialog
      title={`Make a template from ${vm.name}`}
      testId="make-template-dialog"
      submitLabel="Make template"
      busyLabel="Starting…"
      submitTestId="make-template-submit"
      errorTestId="make-template-error"
      busy={make.isPending}
      canSubmit={Boolean(target || name.trim())}
      error={templates.error ?? make.error}
      onSubmit={submit}
      onClose={onClose}
    >
      <p>
        The VM’s disks are copied in full into new base volumes (a linked clone is flattened). The VM stays as it is; it
        cannot be started until the copy is done.
      </p>
      <label className={label}>
        <span>Becomes</span>
        <select
          className={inputClass}
          data-testid="make-template-target"
          value={target}
          onChange={(e) => setTarget(e.target.value)}
        >
          <option value="">a new template</option>
          {(templates.data ?? [])
            .filter((t) => t.kind === 'disk')
            .map((t) => (
              <option key={t.id} value={t.id}>
                {`version ${(t.versions[0]?.version ?? 0) + 1} of ${t.name}`}
              </option>
            ))}
        </select>
      </label>
      {!target && (
        <>
          <label className={label}>
            <span>Name</span>
            <input
              className={`${inputClass} font-mono`}
              data-testid="make-template-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </label>
          <label className={label}>
            <span>Description (optional)</span>
            <input className={inputClass} value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
        </>
      )}
    </FormDialog>
  );
}
