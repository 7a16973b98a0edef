'use client';

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { defaultSnapshotName } from './snapshot-tree';

/**
 * Memory state can be saved only while the VM runs, and a disk-only snapshot only while it is
 * shut off (internal qcow2 snapshots: see packages/hypervisor/src/ops/snapshots.ts), so the kind
 * follows the VM's state and the form says so.
 */
export function SnapshotCreateForm({ vm, onDone }: { vm: VmView; onDone: (taskId?: string) => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState(defaultSnapshotName);
  const [description, setDescription] = useState('');
  const running = vm.state === 'running' || vm.state === 'paused';
  const create = useMutation(trpc.snapshot.create.mutationOptions({ onSuccess: ({ taskId }) => onDone(taskId) }));
  return (
    <form
      className="space-y-2 rounded-md border border-zinc-200 bg-zinc-50 p-3"
      data-testid="snapshot-create-form"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ vmId: vm.id, name, withMemory: running, ...(description ? { description } : {}) });
      }}
    >
      <div className="flex flex-col gap-2 sm:flex-row">
        <label className="block flex-1 space-y-1">
          <span className="text-xs text-zinc-600">Name</span>
          <input
            className={`${inputClass} font-mono`}
            data-testid="snapshot-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={64}
          />
        </label>
        <label className="block flex-[2] space-y-1">
          <span className="text-xs text-zinc-600">Description</span>
          <input className={inputClass} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
      </div>
      <p className="text-xs text-zinc-600" data-testid="snapshot-kind">
        {running
          ? 'The VM is running: its disks and memory are saved; reverting resumes it where it was.'
          : 'The VM is shut off: its disks are saved.'}
      </p>
      {create.error && <ErrorText error={create.error} />}
      <div className="flex gap-2">
        <button type="submit" className={btn.primary} data-testid="snapshot-create" disabled={create.isPending}>
          Take snapshot
        </button>
        <button type="button" className={btn.secondary} onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
