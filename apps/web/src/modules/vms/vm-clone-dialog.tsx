'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';

/**
 * "Clone" on a VM page: a full clone of this stopped VM on its host (vm.clone). The clone's task
 * belongs to the new VM, so the dialog follows it itself: progress, Cancel clone, and a link to
 * the new VM once it is made.
 */
export function VmCloneButton({ vm, busy }: { vm: VmView; busy: boolean }) {
  const [open, setOpen] = useState(false);
  const stopped = vm.state === 'shutoff';
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
  const [started, setStarted] = useState<{ taskId: string; vmId: string } | null>(null);
  const formId = useId();
  const clone = useMutation(
    trpc.vm.clone.mutationOptions({
      onSuccess: (r) => {
        setStarted(r);
        void queryClient.invalidateQueries({ queryKey: trpc.vm.list.queryKey() });
      },
    }),
  );
  const cancel = useMutation(trpc.vm.cancelClone.mutationOptions());
  const task = useQuery({
    ...trpc.task.byId.queryOptions({ taskId: started?.taskId ?? '' }),
    enabled: Boolean(started),
    refetchInterval: (q) => (q.state.data && ['succeeded', 'failed'].includes(q.state.data.state) ? false : 1000),
  });
  const t = task.data;
  const done = t?.state === 'succeeded' || t?.state === 'failed';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clone.mutate({ vmId: vm.id, name: name.trim() });
  };

  return (
    <Dialog
      title={`Clone ${vm.name}`}
      testId="clone-dialog"
      onClose={onClose}
      footer={
        started ? (
          <>
            {!done && (
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
              disabled={clone.isPending || !name.trim()}
            >
              {clone.isPending ? 'Starting…' : 'Clone'}
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
          {t?.state === 'succeeded' && (
            <Link href={`/vms/${started.vmId}`} className="text-teal-700 hover:underline" data-testid="clone-open">
              Open {name.trim()}
            </Link>
          )}
          <ErrorText error={task.error ?? cancel.error} />
        </div>
      ) : (
        <form id={formId} onSubmit={submit} className="space-y-3">
          <p>
            A new VM on the same host, with a new name, UUID and MAC addresses. Its disks are full copies of this VM’s;
            the VM cannot be started until the copy is done.
          </p>
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
          <ErrorText error={clone.error} testId="clone-error" />
        </form>
      )}
    </Dialog>
  );
}
