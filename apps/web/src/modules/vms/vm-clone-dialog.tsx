'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { useCan } from '../permissions/use-can';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';

/**
 * "Clone" on a VM page: a full clone of this stopped VM on its host (vm.clone), or a clone linked
 * to one of its snapshots (vm.cloneLinked: the snapshot's disks become a template the clones
 * share). The dialog follows the task itself: progress, Cancel clone (full copies only), and a
 * link to the new VM once it is made.
 */
export function VmCloneButton({ vm, busy }: { vm: VmView; busy: boolean }) {
  const [open, setOpen] = useState(false);
  const stopped = vm.state === 'shutoff';
  // Copying a VM's disks needs 'edit' on it (vm.clone's rule).
  const mayClone = useCan('edit', 'vm', vm.id);
  if (!mayClone) return null;
  return (
    <>
      <button
        type="button"
        className={btn.secondary}
        data-testid="vm-clone"
        disabled={!stopped || busy}
        title={stopped ? undefined : 'Shut the VM down first: a clone is made from a stopped VM'}
        onClick={() => setOpen(true)}
      >
        Clone
      </button>
      {open && <VmCloneDialog vm={vm} onClose={() => setOpen(false)} />}
    </>
  );
}

function VmCloneDialog({ vm, onClose }: { vm: VmView; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(`${vm.name}-clone`);
  const [started, setStarted] = useState<{ taskId: string; vmId: string | null } | null>(null);
  const [mode, setMode] = useState<'full' | 'linked'>('full');
  const [snapshot, setSnapshot] = useState('');
  const formId = useId();
  const onStarted = (r: { taskId: string; vmId?: string }) => {
    setStarted({ taskId: r.taskId, vmId: r.vmId ?? null });
    void queryClient.invalidateQueries({ queryKey: trpc.vm.list.queryKey() });
  };
  const clone = useMutation(trpc.vm.clone.mutationOptions({ onSuccess: onStarted }));
  const linked = useMutation(trpc.vm.cloneLinked.mutationOptions({ onSuccess: onStarted }));
  const snapshots = useQuery(trpc.snapshot.list.queryOptions({ vmId: vm.id }));
  const hardware = useQuery(trpc.vm.hardware.queryOptions({ vmId: vm.id }));
  const snapList = snapshots.data?.snapshots ?? [];
  const disks = (hardware.data?.disks ?? []).filter((d) => d.device === 'disk');
  const rawDisks = disks.filter((d) => d.format !== 'qcow2' || !d.pool);
  const chosen = snapshot || snapList[0]?.name || '';
  const cancel = useMutation(trpc.vm.cancelClone.mutationOptions());
  const task = useQuery({
    ...trpc.task.byId.queryOptions({ taskId: started?.taskId ?? '' }),
    enabled: Boolean(started),
    refetchInterval: (q) => (q.state.data && ['succeeded', 'failed'].includes(q.state.data.state) ? false : 1000),
  });
  const t = task.data;
  const done = t?.state === 'succeeded' || t?.state === 'failed';
  // A linked clone's VM is made inside its task: found by name once the task is done.
  const made = useQuery({
    ...trpc.vm.list.queryOptions({ name: name.trim(), limit: 5 }),
    enabled: Boolean(started && !started.vmId && t?.state === 'succeeded'),
  });
  const newVmId = started?.vmId ?? made.data?.rows.find((r) => r.name === name.trim())?.id ?? null;
  const pending = clone.isPending || linked.isPending;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (mode === 'linked') linked.mutate({ vmId: vm.id, name: name.trim(), snapshot: chosen });
    else clone.mutate({ vmId: vm.id, name: name.trim() });
  };

  return (
    <Dialog
      title={`Clone ${vm.name}`}
      testId="clone-dialog"
      onClose={onClose}
      footer={
        started ? (
          <>
            {!done && mode === 'full' && (
              <button
                type="button"
                className={btn.secondary}
                data-testid="clone-cancel"
                disabled={cancel.isPending || cancel.isSuccess}
                onClick={() => cancel.mutate({ taskId: started.taskId })}
              >
                {cancel.isSuccess ? 'Cancelling…' : 'Cancel clone'}
              </button>
            )}
            <button type="button" className={btn.secondary} onClick={onClose}>
              Close
            </button>
          </>
        ) : (
          <>
            <button type="button" className={btn.secondary} onClick={onClose}>
              Cancel
            </button>
            <button
              type="submit"
              form={formId}
              className={btn.primary}
              data-testid="clone-submit"
              disabled={pending || !name.trim() || (mode === 'linked' && (!chosen || rawDisks.length > 0))}
            >
              {pending ? 'Starting…' : 'Clone'}
            </button>
          </>
        )
      }
    >
      {started ? (
        <div className="space-y-3 text-sm text-zinc-700" data-testid="clone-progress">
          <div className="flex justify-between">
            <span>{t?.state === 'failed' ? (t.errorMessage ?? 'Failed') : (t?.message ?? 'Starting…')}</span>
            <span className="tabular-nums">{t?.progress ?? 0}%</span>
          </div>
          <div className="h-2 overflow-hidden rounded bg-zinc-200">
            <div
              className={`h-full ${t?.state === 'failed' ? 'bg-red-500' : 'bg-teal-600'}`}
              style={{ width: `${t?.progress ?? 0}%` }}
            />
          </div>
          {t?.state === 'succeeded' && newVmId && (
            <Link href={`/vms/${newVmId}`} className="text-teal-700 hover:underline" data-testid="clone-open">
              Open {name.trim()}
            </Link>
          )}
          <ErrorText error={task.error ?? cancel.error} />
        </div>
      ) : (
        <form id={formId} onSubmit={submit} className="space-y-3">
          {snapList.length > 0 && (
            <fieldset className="space-y-2 text-sm text-zinc-800" data-testid="clone-mode">
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name="clone-mode"
                  data-testid="clone-mode-full"
                  checked={mode === 'full'}
                  onChange={() => setMode('full')}
                />
                <span>Full copy of the current disks</span>
              </label>
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name="clone-mode"
                  data-testid="clone-mode-linked"
                  checked={mode === 'linked'}
                  onChange={() => setMode('linked')}
                />
                <span className="whitespace-nowrap">Linked to snapshot</span>
                <select
                  className={`${inputClass} w-auto font-mono`}
                  data-testid="clone-snapshot"
                  value={chosen}
                  onChange={(e) => {
                    setSnapshot(e.target.value);
                    setMode('linked');
                  }}
                >
                  {snapList.map((s) => (
                    <option key={s.name} value={s.name}>
                      {s.name}
                    </option>
                  ))}
                </select>
              </label>
            </fieldset>
          )}
          {mode === 'linked' ? (
            <p data-testid="clone-linked-note">
              A new VM with a new name, UUID and MAC addresses whose disks start as this VM’s disks were at snapshot{' '}
              <span className="font-mono">{chosen}</span>. The snapshot’s disks become the template{' '}
              <span className="font-mono">
                {vm.name}@{chosen}
              </span>{' '}
              (made once, shared by every linked clone of this snapshot); each clone keeps only its own changes. The
              template can be deleted under Templates once no VM uses it.
            </p>
          ) : (
            <p>
              A new VM on the same host, with a new name, UUID and MAC addresses. Its disks are full copies of this
              VM’s; the VM cannot be started until the copy is done.
            </p>
          )}
          {mode === 'linked' && rawDisks.length > 0 && (
            <p className="text-sm text-red-700" data-testid="clone-raw">
              This VM has raw or non-pool disks (
              {rawDisks.map((d) => d.volume ?? d.path ?? `disk ${d.position}`).join(', ')}): a raw disk keeps no
              snapshot, so it cannot be cloned at one. Use a full copy.
            </p>
          )}
          <label className="block space-y-1 text-sm font-medium text-zinc-800">
            <span>Name</span>
            <input
              className={`${inputClass} font-mono`}
              data-testid="clone-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </label>
          <ErrorText error={clone.error ?? linked.error} testId="clone-error" />
        </form>
      )}
    </Dialog>
  );
}
